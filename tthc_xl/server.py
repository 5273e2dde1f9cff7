"""`tthc-xl serve`: the Excel buttons over HTTP, for the Office.js add-in (xlwings Server protocol).

The client (xlwings' Office.js runtime, loaded by addin/taskpane.html) POSTs the workbook as JSON
to `{app_path}/xlwings/custom-scripts-call/{script}`; the script runs the same functions as the
desktop buttons (tthc_xl.excel) on `xw.Book(json=...)` and the answer is `book.json()`:
`{"actions": [...]}`, which the client applies to the open workbook. Scripts are registered with
xlwings' own server API (`xlwings.server.script`, `custom_scripts_call`, `custom_scripts_meta`).

Configuration (never in code): environment variables, or a file given with `--config` /
TTHC_XL_CONFIG holding `NAME=value` lines:

* TTHC_XL_FOLDER: the only folder unit files are read from (`--folder`); a workbook's
  "Thư mục báo cáo đơn vị" is a folder inside it;
* XLWINGS_LICENSE_KEY: `noncommercial` (xlwings' server part is PolyForm Noncommercial, which
  covers government institutions), or the key in ~/.xlwings/xlwings.conf
  (`xlwings license update -k noncommercial`);
* TTHC_XL_HOST, TTHC_XL_PORT, TTHC_XL_APP_PATH, TTHC_XL_PUBLIC_URL (the https address Excel
  reaches the add-in at, for the manifest), TTHC_XL_STATIC (xlwings' Office.js runtime files;
  default: the `static` folder of the installed `xlwings-server` package).

`create_app(settings)` builds the FastAPI app; authentication, CORS and a size cap are meant to
be added around it (a dependency on the router, or middleware on the app) without changing it.
"""


import html
import importlib.util
import json
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

def addin_dir() -> Path:
    """The `addin/` folder: the source checkout, or the installed copy (share/tthc-xl/addin)."""
    for candidate in (Path(__file__).resolve().parent.parent / "addin", Path(sys.prefix) / "share" / "tthc-xl" / "addin"):
        if (candidate / "manifest.xml").is_file():
            return candidate
    raise ConfigError("Không tìm thấy thư mục addin/ (manifest.xml của add-in); hãy cài lại tthc-xl.")


SCRIPTS = {  # script name → (button function in tthc_xl.excel, ribbon label)
    "consolidate": "Tổng hợp",
    "check": "Kiểm tra",
    "clear_marks": "Xóa đánh dấu",
}
ENV = ("TTHC_XL_FOLDER", "TTHC_XL_HOST", "TTHC_XL_PORT", "TTHC_XL_APP_PATH", "TTHC_XL_PUBLIC_URL", "TTHC_XL_STATIC", "XLWINGS_LICENSE_KEY")


class ConfigError(Exception):
    """The server cannot start; the message (Vietnamese) says what to set."""


@dataclass
class ServerSettings:
    folder: Path
    host: str = "127.0.0.1"
    port: int = 8000
    app_path: str = ""  # e.g. "/tthc" behind a reverse proxy
    public_url: str = ""  # https://server.example.gov.vn, as Excel reaches it
    static_dir: Path | None = None
    request_timeout: int = 300
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"https://{self.host}:{self.port}").rstrip("/") + self.app_path


def read_config_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines (a .env file); `#` starts a comment."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip().strip('"').strip("'")
    return values


def xlwings_static_dir() -> Path | None:
    """The `static` folder of the installed xlwings-server package (its Office.js runtime)."""
    spec = importlib.util.find_spec("xlwings_server")  # found without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    static = Path(list(spec.submodule_search_locations)[0]) / "static"
    return static if (static / "js" / "custom-scripts" / "index.js").is_file() else None


def license_key_found() -> bool:
    if os.environ.get("XLWINGS_LICENSE_KEY"):
        return True
    config = Path.home() / ".xlwings" / "xlwings.conf"
    return config.is_file() and '"LICENSE_KEY"' in config.read_text(encoding="utf-8", errors="replace")


def settings_from(args=None, environ=None) -> ServerSettings:
    """Settings from the command line, else the config file, else the environment."""
    environ = dict(os.environ if environ is None else environ)
    config = getattr(args, "config", None) or environ.get("TTHC_XL_CONFIG")
    if config:
        if not Path(config).is_file():
            raise ConfigError(f"Không tìm thấy tệp cấu hình {config}.")
        for name, value in read_config_file(Path(config)).items():
            environ.setdefault(name, value)
            if name == "XLWINGS_LICENSE_KEY":  # xlwings reads the key from the environment
                os.environ.setdefault(name, value)
    folder = getattr(args, "folder", None) or environ.get("TTHC_XL_FOLDER")
    if not folder:
        raise ConfigError("Chưa đặt thư mục báo cáo của máy chủ: dùng --folder THƯ_MỤC hoặc biến môi trường TTHC_XL_FOLDER.")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"Thư mục báo cáo {folder} không tồn tại.")
    static = getattr(args, "static", None) or environ.get("TTHC_XL_STATIC")
    return ServerSettings(
        folder=folder.resolve(),
        host=getattr(args, "host", None) or environ.get("TTHC_XL_HOST", "127.0.0.1"),
        port=int(getattr(args, "port", None) or environ.get("TTHC_XL_PORT", 8000)),
        app_path=(environ.get("TTHC_XL_APP_PATH", "") or "").rstrip("/"),
        public_url=getattr(args, "public_url", None) or environ.get("TTHC_XL_PUBLIC_URL", ""),
        static_dir=Path(static) if static else xlwings_static_dir(),
    )


def scripts_module(settings: ServerSettings) -> types.ModuleType:
    """The scripts the add-in calls, as xlwings Server expects them: a module of `@script`
    functions whose `xw.Book` parameter receives the workbook. The work runs in a thread so
    one long consolidation does not hold the other requests."""
    import anyio
    import xlwings as xw
    from xlwings.server import script

    from . import excel

    module = types.ModuleType("tthc_xl_scripts")

    @script(name=SCRIPTS["consolidate"])
    async def consolidate(book: xw.Book):
        await anyio.to_thread.run_sync(lambda: excel.consolidate(book, root=settings.folder))

    @script(name=SCRIPTS["check"])
    async def check(book: xw.Book):
        await anyio.to_thread.run_sync(excel.check, book)

    @script(name=SCRIPTS["clear_marks"])
    async def clear_marks(book: xw.Book):
        await anyio.to_thread.run_sync(excel.clear_marks, book)

    for function in (consolidate, check, clear_marks):
        function.__module__ = module.__name__
        setattr(module, function.__name__, function)
    return module


def create_app(settings: ServerSettings):
    """The FastAPI app: the xlwings Server endpoints, the add-in's pages and its manifest."""
    import xlwings as xw
    import xlwings.server
    from fastapi import APIRouter, FastAPI, HTTPException, Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    from . import __version__

    addin = addin_dir()
    app = FastAPI(title="tthc-xl", version=__version__)
    app.state.settings = settings
    module = scripts_module(settings)
    router = APIRouter(prefix=f"{settings.app_path}/xlwings")

    @router.post("/custom-scripts-call/{script_name}")
    async def custom_scripts_call(script_name: str, request: Request):
        if script_name not in SCRIPTS:
            raise HTTPException(status_code=404, detail=f"Không có lệnh “{script_name}”.")
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise HTTPException(status_code=400, detail="Dữ liệu bảng tính gửi lên không phải JSON.") from None
        if not isinstance(data, dict) or "sheets" not in data or "book" not in data:
            raise HTTPException(status_code=400, detail="Dữ liệu gửi lên không phải một bảng tính của xlwings.")
        args = data.pop("args", None) or []
        book = xw.Book(json=data)
        try:
            book = await xlwings.server.custom_scripts_call(module, script_name, None, typehint_to_value={xw.Book: book}, args=args)
            return JSONResponse(book.json())
        finally:
            book.close()

    @router.get("/custom-scripts-meta")
    @router.get("/custom-scripts-meta.json")
    async def custom_scripts_meta():
        return xlwings.server.custom_scripts_meta(module)

    @router.get("/alert", response_class=HTMLResponse)
    async def alert(prompt: str = "", title: str = "", buttons: str = "ok", mode: str = "", callback: str = ""):
        """The dialog `book.app.alert()` opens (xlwings' alerts/dialog.js answers the buttons)."""
        labels = {"ok": "OK", "yes": "Có", "no": "Không", "cancel": "Hủy"}
        shown = "".join(f'<button id="{b}">{labels[b]}</button>' for b in labels if b in buttons)
        return _page(
            settings, html.escape(title or "tthc-xl"),
            f'<div id="callback" data-callback="{html.escape(callback)}"></div>'
            f'<h1 class="{html.escape(mode)}">{html.escape(title)}</h1><p>{html.escape(prompt).replace(chr(10), "<br>")}</p>'
            f'<div class="buttons">{shown}</div>',
            scripts=["js/alerts/dialog.js"],
        )

    app.include_router(router)

    @app.get(f"{settings.app_path}/health")
    async def health():
        return {"status": "ok", "version": __version__, "xlwings": xw.__version__, "folder": str(settings.folder)}

    @app.get(f"{settings.app_path}/taskpane.html", response_class=HTMLResponse)
    async def taskpane():
        buttons = "".join(f'<button xw-click="{name}">{label}</button>' for name, label in SCRIPTS.items())
        return _page(settings, "tthc-xl", f"<h1>tthc-xl</h1>{buttons}<p id=\"status\"></p>", scripts=["tthc.js"])

    @app.get(f"{settings.app_path}/manifest.xml")
    async def manifest():
        text = (addin / "manifest.xml").read_text(encoding="utf-8").replace("https://localhost:8000", settings.base_url)
        return Response(text, media_type="application/xml")

    @app.get(f"{settings.app_path}/tthc.js")
    async def tthc_js():
        return Response((addin / "tthc.js").read_text(encoding="utf-8"), media_type="text/javascript")

    @app.get(f"{settings.app_path}/icon-{{size}}.png")
    async def icon(size: int):
        path = addin / f"icon-{size}.png"
        if not path.is_file():
            raise HTTPException(status_code=404)
        return Response(path.read_bytes(), media_type="image/png")

    if settings.static_dir is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount(f"{settings.app_path}/static", StaticFiles(directory=settings.static_dir), name="static")
    return app


def _page(settings: ServerSettings, title: str, body: str, scripts: list[str]) -> str:
    """An add-in page: Office.js, xlwings' client runtime (when its files are served), our script."""
    static = f"{settings.app_path}/static"
    config = {
        "appPath": settings.app_path, "authProviders": [], "customFunctionsMaxRetries": 0, "customFunctionsRetryCodes": [],
        "environment": "prod", "isOfficialLiteAddin": False, "pyodideBaseUrl": "", "taskpaneReloadAttempts": 0,
        "onWasm": False, "requestTimeout": settings.request_timeout, "xlwingsVersion": _xlwings_version(),
    }
    runtime = (
        f'<script src="{static}/vendor/office-js/16.0.20308.15050/dist/office.js"></script>'
        f'<script type="module" src="{static}/js/config.js"></script>'
        f'<script type="module" src="{static}/js/custom-scripts/index.js"></script>'
        if settings.static_dir is not None
        else '<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>'
        "<!-- xlwings' Office.js runtime is not served: install xlwings-server or set TTHC_XL_STATIC -->"
    )
    own = "".join(
        f'<script src="{static}/{s}" defer></script>' if s.startswith("js/") else f'<script src="{settings.app_path}/{s}" defer></script>'
        for s in scripts
    )
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title>'
        f'<script id="config" type="application/json">{json.dumps(config)}</script>{runtime}{own}'
        "<style>body{font-family:'Segoe UI',sans-serif;margin:1em}button{display:block;margin:.5em 0;padding:.5em 1em}</style>"
        f"</head><body>{body}</body></html>"
    )


def _xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def cmd_serve(args) -> int:
    from .cli import EXIT_UNUSABLE

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
        print("Thiếu gói máy chủ: chạy “pip install tthc-xl[server]” (fastapi, uvicorn).", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"tthc-xl serve: thư mục báo cáo {settings.folder}; địa chỉ http://{settings.host}:{settings.port}{settings.app_path}/", flush=True)
    if settings.static_dir is None:
        print("  (chưa có tệp chạy Office.js của xlwings: cài “pip install xlwings-server” hoặc đặt TTHC_XL_STATIC để dùng add-in)", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    return 0


def add_commands(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="chạy máy chủ xlwings cho add-in Excel (nút Tổng hợp, Kiểm tra, Xóa đánh dấu)")
    serve.add_argument("--folder", help="thư mục chứa báo cáo đơn vị trên máy chủ (hoặc biến TTHC_XL_FOLDER)")
    serve.add_argument("--host", help="địa chỉ lắng nghe (mặc định 127.0.0.1)")
    serve.add_argument("--port", type=int, help="cổng (mặc định 8000)")
    serve.add_argument("--public-url", help="địa chỉ https mà Excel dùng để mở add-in, ghi vào manifest.xml")
    serve.add_argument("--static", help="thư mục tệp Office.js của xlwings (mặc định: của gói xlwings-server nếu đã cài)")
    serve.add_argument("--config", help="tệp cấu hình dạng TÊN=giá trị (TTHC_XL_FOLDER, XLWINGS_LICENSE_KEY, …)")
    serve.set_defaults(run=cmd_serve)


def main(argv=None) -> int:
    """`python -m tthc_xl.server serve …`, the same command before cli.py registers it."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tthc_xl.server")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
