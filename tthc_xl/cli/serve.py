"""`tthc-xl serve`: xlwings Server for the Office.js add-in."""

from __future__ import annotations

import sys

from tthc_xl.cli.exits import EXIT_UNUSABLE
from tthc_xl.excel.client import PACKAGE, client_status
from tthc_xl.excel.server import (
    DEFAULT_MAX_REQUEST_MB, ConfigError, create_app, license_key_found, new_token, settings_from,
)


def cmd_serve(args) -> int:
    if getattr(args, "new_token", False):
        print(new_token())
        return 0
    try:
        settings = settings_from(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    if not license_key_found():
        print(
            "Chưa có khóa giấy phép xlwings: đặt biến môi trường XLWINGS_LICENSE_KEY=noncommercial (hoặc ghi dòng đó "
            "vào tệp --config), hoặc chạy “xlwings license update -k noncommercial”. Phần máy chủ của xlwings dùng giấy "
            "phép PolyForm Noncommercial, áp dụng được cho cơ quan nhà nước.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    try:
        import uvicorn
    except ImportError:
        print("Thiếu gói máy chủ: chạy “pip install tthc-xl[server]” (fastapi, uvicorn, xlwings-server).", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"tthc-xl serve: thư mục báo cáo {settings.folder}; địa chỉ http://{settings.host}:{settings.port}{settings.app_path}/", flush=True)
    if settings.no_auth:
        print("  CẢNH BÁO: --no-auth: không kiểm tra mã truy cập (chỉ để thử trên máy này).", flush=True)
    else:
        print(f"  {len(settings.tokens)} mã truy cập: {', '.join(settings.tokens)}", flush=True)
    web_client = client_status(settings.static_dir)
    if web_client.ok:
        print(f"  {PACKAGE} {web_client.version or '?'}: phần chạy trong Excel của add-in ({web_client.static_dir})", flush=True)
    else:  # /health answers 503 with the same message
        print(f"  CẢNH BÁO: {web_client.message(show_folder=True)}", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    return 0


def add_commands(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="chạy máy chủ xlwings cho add-in Excel (nút Tổng hợp, Kiểm tra, Xóa đánh dấu)")
    serve.add_argument("--folder", help="thư mục chứa báo cáo đơn vị trên máy chủ (hoặc biến TTHC_XL_FOLDER)")
    serve.add_argument("--host", help="địa chỉ lắng nghe (mặc định 127.0.0.1)")
    serve.add_argument("--port", type=int, help="cổng (mặc định 8000)")
    serve.add_argument("--public-url", help="địa chỉ https mà Excel dùng để mở add-in, ghi vào manifest.xml")
    serve.add_argument("--static", help="thư mục tệp Office.js của xlwings (mặc định: của gói xlwings-server đã cài)")
    serve.add_argument("--config", help="tệp cấu hình dạng TÊN=giá trị (TTHC_XL_FOLDER, XLWINGS_LICENSE_KEY, TOKEN, …)")
    serve.add_argument("--token-file", help="tệp mã truy cập, mỗi dòng một mã “tên: mã” (hoặc biến TTHC_XL_TOKEN, dòng TOKEN= trong --config)")
    serve.add_argument("--no-auth", action="store_true", help="không kiểm tra mã truy cập: chỉ để thử trên chính máy này (--host 127.0.0.1)")
    serve.add_argument("--max-request-mb", type=float, help=f"dung lượng tối đa một yêu cầu, MB (mặc định {DEFAULT_MAX_REQUEST_MB})")
    serve.add_argument("--new-token", action="store_true", help="in ra một mã truy cập ngẫu nhiên mới rồi thoát")
    serve.set_defaults(run=cmd_serve)


def main(argv=None) -> int:
    """`python -m tthc_xl.cli.serve serve …`, the same command before cli.py registers it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tthc_xl.cli.serve")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
