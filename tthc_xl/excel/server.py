"""`tthc-xl serve`: the Excel buttons over HTTP, for the Office.js add-in (xlwings Server protocol).

The client (xlwings' Office.js runtime, loaded by addin/taskpane.html) POSTs the workbook as JSON
to `{app_path}/xlwings/custom-scripts-call/{script}`; the script runs the same functions as the
desktop buttons (tthc_xl.excel.buttons) on `xw.Book(json=...)` and the answer is `book.json()`:
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
  default: the `static` folder of the installed `xlwings-server` package);
* the access tokens (`--token-file` / TTHC_XL_TOKEN_FILE: one token a line, `label: token` or
  just `token`; TTHC_XL_TOKEN: tokens separated by commas; `TOKEN=` lines in the config file).
  Every script call must carry `Authorization: Bearer <token>`; the server does not start
  without a token unless `--no-auth` is given on a loopback host;
* TTHC_XL_MAX_REQUEST_MB (`--max-request-mb`, default 20): larger request bodies get 413.

Safety around `create_app`: the script-call route depends on `require_token` (401 otherwise);
`BodyLimit` refuses oversized bodies (Content-Length, then the bytes actually streamed) before
anything parses them; CORS answers only the public URL's origin and the Office hosts
(`OFFICE_ORIGINS`). The health check, the manifest, the task-pane page and static files stay public.
"""


import asyncio
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import os
import re
import secrets
import types
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.errors import ClerkError
from tthc_xl.resources import shipped
from tthc_xl.excel.client import client_status, installed_static_dir


def addin_dir() -> Path:
    """The `addin/` folder: the source checkout, or the installed copy (share/tthc-xl/addin, any install scheme)."""
    candidate = shipped("addin")
    if candidate and (candidate / "manifest.xml").is_file():
        return candidate
    raise ConfigError("Không tìm thấy thư mục addin/ (manifest.xml của add-in); hãy cài lại tthc-xl.")


SCRIPTS = {  # script name → (button function in tthc_xl.excel.buttons, ribbon label)
    "consolidate": "Tổng hợp",
    "check": "Kiểm tra",
    "clear_marks": "Xóa đánh dấu",
}
ENV = (
    "TTHC_XL_FOLDER", "TTHC_XL_HOST", "TTHC_XL_PORT", "TTHC_XL_APP_PATH", "TTHC_XL_PUBLIC_URL", "TTHC_XL_STATIC",
    "TTHC_XL_TOKEN", "TTHC_XL_TOKEN_FILE", "TTHC_XL_MAX_REQUEST_MB", "XLWINGS_LICENSE_KEY",
)
DEFAULT_MAX_REQUEST_MB = 20
MIN_TOKEN_LENGTH = 16
# RFC 6750 token68 characters: what may follow "Bearer " in a header (no ":" so "label: token" parses)
TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]+")
# The Office hosts that load add-ins (Excel on the web and the Office web shells); the server's own
# public origin is added to these. Never "*".
OFFICE_ORIGINS = r"https://([a-z0-9-]+\.)*(officeapps\.live\.com|office\.com|cloud\.microsoft)"
UNAUTHORIZED = (
    "Máy chủ tthc-xl từ chối: chưa có mã truy cập hoặc mã không đúng. Hãy bấm nút «Mã truy cập» trên tab TTHC, "
    "nhập mã do quản trị viên cấp cho đơn vị mình rồi bấm «Lưu mã»."
)
log = logging.getLogger("uvicorn.error")  # shown by `tthc-xl serve` (uvicorn's logger)


class ConfigError(ClerkError):
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
    tokens: dict[str, str] = field(default_factory=dict)  # label (clerk, office) → token
    no_auth: bool = False  # only for a development run on a loopback host
    max_request_bytes: int = DEFAULT_MAX_REQUEST_MB * 1024 * 1024
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"https://{self.host}:{self.port}").rstrip("/") + self.app_path

    @property
    def cors_origins(self) -> list[str]:
        """The exact origins besides the Office hosts: the public URL's (scheme://host[:port])."""
        parts = urlsplit(self.base_url)
        return [f"{parts.scheme}://{parts.netloc}"]

    def check_auth(self) -> None:
        """Refuse to serve without credentials, unless explicitly asked for on a loopback host."""
        if self.no_auth:
            if not is_loopback(self.host):
                raise ConfigError(
                    f"--no-auth chỉ dùng khi thử trên chính máy này (--host 127.0.0.1); máy chủ lắng nghe ở {self.host} "
                    "thì phải có mã truy cập (--token-file, TTHC_XL_TOKEN hoặc dòng TOKEN= trong tệp --config)."
                )
            return
        if not self.tokens:
            raise ConfigError(
                "Chưa có mã truy cập nào nên máy chủ không chạy (nếu chạy, ai cũng gọi được). Tạo mã bằng "
                "“tthc-xl serve --new-token”, ghi vào tệp --token-file (mỗi dòng một mã, ví dụ “so-tu-phap: MÃ”), "
                "biến môi trường TTHC_XL_TOKEN hoặc dòng TOKEN= trong tệp --config. Chỉ khi thử trên chính máy này "
                "mới dùng --no-auth."
            )


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_tokens(lines, where: str) -> dict[str, str]:
    """`label: token` or `token` entries (blank and `#` lines skipped) → {label: token}."""
    tokens = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, _, token = line.rpartition(":")
        label, token = label.strip() or f"{where}, mã {number}", token.strip()
        if not TOKEN_CHARS.fullmatch(token) or len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(
                f"Mã truy cập thứ {number} ({where}) không dùng được: mã phải dài ít nhất {MIN_TOKEN_LENGTH} ký tự, chỉ gồm "
                "chữ cái không dấu, chữ số và . _ ~ + / = -. Tạo mã mới bằng “tthc-xl serve --new-token”."
            )
        if token in tokens.values():
            continue
        tokens[label if label not in tokens else f"{label} ({where}, mã {number})"] = token
    return tokens


def new_token() -> str:
    return secrets.token_urlsafe(32)


def read_config_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines (a .env file); `#` starts a comment."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        name, value = name.strip(), value.strip().strip('"').strip("'")
        if name in ("TOKEN", "TTHC_XL_TOKEN") and values.get(name):  # one TOKEN= line per clerk or office
            value = f"{values[name]},{value}"
        values[name] = value
    return values


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
    tokens = {}
    token_file = getattr(args, "token_file", None) or environ.get("TTHC_XL_TOKEN_FILE")
    if token_file:
        token_file = Path(token_file).expanduser()
        if not token_file.is_file():
            raise ConfigError(f"Không tìm thấy tệp mã truy cập {token_file}.")
        tokens.update(parse_tokens(token_file.read_text(encoding="utf-8-sig").splitlines(), f"tệp {token_file.name}"))
    for name, where in (("TTHC_XL_TOKEN", "biến TTHC_XL_TOKEN"), ("TOKEN", "dòng TOKEN= của tệp cấu hình")):
        for label, token in parse_tokens((environ.get(name) or "").split(","), where).items():
            if token not in tokens.values():
                tokens[label if label not in tokens else f"{label} ({where})"] = token
    limit = getattr(args, "max_request_mb", None) or environ.get("TTHC_XL_MAX_REQUEST_MB") or DEFAULT_MAX_REQUEST_MB
    try:
        limit = float(limit)
    except ValueError:
        limit = 0
    if not limit > 0:
        raise ConfigError(f"Giới hạn dung lượng yêu cầu “{limit}” không hợp lệ: --max-request-mb phải là một số MB lớn hơn 0.")
    settings = ServerSettings(
        folder=folder.resolve(),
        host=getattr(args, "host", None) or environ.get("TTHC_XL_HOST", "127.0.0.1"),
        port=int(getattr(args, "port", None) or environ.get("TTHC_XL_PORT", 8000)),
        app_path=(environ.get("TTHC_XL_APP_PATH", "") or "").rstrip("/"),
        public_url=getattr(args, "public_url", None) or environ.get("TTHC_XL_PUBLIC_URL", ""),
        static_dir=Path(static) if static else installed_static_dir(),
        tokens=tokens,
        no_auth=bool(getattr(args, "no_auth", False)),
        max_request_bytes=int(limit * 1024 * 1024),
    )
    settings.check_auth()
    return settings


class RequestTooLarge(Exception):
    pass


DRAIN_SECONDS = 5


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413 before the app parses it.

    A declared Content-Length over the limit is refused at once, without reading the body; a body
    without one (chunked) is counted as the app receives it, and refused once it passes the limit.
    """

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                return await self._refuse(send, 400, "Yêu cầu gửi lên có độ dài (Content-Length) không hợp lệ.")
            if int(declared) > self.limit:
                return await self._refuse(send, 413, self._message(int(declared)))
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise RequestTooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except RequestTooLarge:
            if started:
                raise
            await self._refuse(send, 413, self._message(received))
            await self._drain(receive)

    async def _drain(self, receive) -> None:
        """Read and drop what the client is still sending, up to the limit again and a few seconds:
        a connection closed with unread data is reset, and the client may never see the 413."""
        async def drop():
            dropped = 0
            while dropped <= self.limit:
                message = await receive()
                dropped += len(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body"):
                    return

        try:
            await asyncio.wait_for(drop(), DRAIN_SECONDS)
        except asyncio.TimeoutError:
            pass

    def _message(self, size: int) -> str:
        mb = lambda n: f"{n / 1024 / 1024:.1f}".replace(".", ",")  # noqa: E731
        return (
            f"Bảng tính gửi lên quá lớn (hơn {mb(size)} MB); máy chủ chỉ nhận tối đa {mb(self.limit)} MB. Hãy xóa bớt "
            "các trang tính không cần trong tệp tổng hợp, hoặc nhờ quản trị viên tăng --max-request-mb."
        )

    @staticmethod
    async def _refuse(send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})


def scripts_module(settings: ServerSettings) -> types.ModuleType:
    """The scripts the add-in calls, as xlwings Server expects them: a module of `@script`
    functions whose `xw.Book` parameter receives the workbook. The work runs in a thread so
    one long consolidation does not hold the other requests."""
    import anyio
    import xlwings as xw
    from xlwings.server import script

    from tthc_xl.excel import buttons as excel

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


NOT_JSON = "Dữ liệu bảng tính gửi lên không phải JSON (UTF-8): hãy bấm lại nút; nếu vẫn lỗi, hãy tải lại add-in (đóng và mở lại Excel)."
NOT_A_BOOK = "Dữ liệu gửi lên không phải một bảng tính của xlwings."  # the add-in's task pane adds what to do
MAX_SETTING_CHARS = 255  # a folder or a file name inside the server's folder


def is_book_shaped(data) -> bool:
    """The body has the shape xlwings' client sends: a book, its sheets with their values as rows, its names."""
    if not isinstance(data, dict) or not isinstance(data.get("book"), dict) or not isinstance(data.get("sheets"), list):
        return False
    for sheet in data["sheets"]:
        if not isinstance(sheet, dict) or not isinstance(sheet.get("name"), str):
            return False
        values = sheet.get("values")
        if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
            return False
    names = data.get("names", [])
    return isinstance(names, list) and all(isinstance(n, dict) for n in names)


def own_book(data: dict):
    """The workbook of one request, in an xlwings App of its own.

    The remote engine's `App.alert` and `App.run` add their actions to `books.active` of the App: with
    every request's book in the one default App, parallel requests would get each other's alerts and
    macro calls. An App made for the request (not listed among the engine's apps) keeps them apart."""
    import xlwings as xw
    from xlwings.pro import _xlremote

    app = _xlremote.App(_xlremote.engine.apps, add_book=False)
    return xw.Book(impl=app.books.open(json=data))


def setting_problem(book) -> str:
    """Why the folder or unit-list setting of a workbook cannot name anything inside the server's folder, or ""."""
    from tthc_xl.excel.buttons import read_book_settings

    conf = read_book_settings(book)
    for label, text in (("Thư mục báo cáo đơn vị", conf.folder), ("Danh sách đơn vị", conf.units or "")):
        if len(text) > MAX_SETTING_CHARS:
            return (
                f"Ô «{label}» dài {len(text)} ký tự, quá {MAX_SETTING_CHARS} ký tự của một tên thư mục hoặc tệp: "
                "trên máy chủ chỉ ghi tên một thư mục con hoặc tệp (ví dụ Thang10-2019), hãy sửa ô này rồi bấm lại."
            )
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            return f"Ô «{label}» có ký tự điều khiển (không nhìn thấy, ví dụ ký tự NUL): hãy xóa và gõ lại ô này rồi bấm lại."
    return ""


_SERVER_LINK = re.compile(r'=HYPERLINK\("file:[^"]*",("(?:[^"]|"")*")\)')


def _as_text(name: str) -> str:
    from tthc_xl.excel.buttons import text_cell

    return text_cell(name)


def without_server_paths(answer, folder: Path):
    """The answer with no path of the server in it: links to the server's files become their names,
    the server's folder disappears from texts (a file inside it keeps its path relative to it)."""
    root = str(folder).rstrip("/")
    uri = folder.as_uri().rstrip("/")

    def clean(value):
        if isinstance(value, str):
            value = _SERVER_LINK.sub(lambda m: _as_text(m[1][1:-1].replace('""', '"')), value)
            for prefix in (uri + "/", root + "/", uri, root):
                value = value.replace(prefix, "")
            return value
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    return clean(answer)


def create_app(settings: ServerSettings):
    """The FastAPI app: the xlwings Server endpoints, the add-in's pages and its manifest."""
    import xlwings as xw
    import xlwings.server
    from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    from tthc_xl import __version__

    settings.check_auth()
    addin = addin_dir()
    app = FastAPI(title="tthc-xl", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    module = scripts_module(settings)
    router = APIRouter(prefix=f"{settings.app_path}/xlwings")
    digests = {label: hashlib.sha256(token.encode()).digest() for label, token in settings.tokens.items()}

    async def require_token(request: Request) -> str:
        """The label of the token in `Authorization: Bearer …`; 401 without a known one.

        Digests of equal length are compared with hmac.compare_digest against every token, so
        neither the length nor the position of a token shows in the answer time."""
        if settings.no_auth:
            return "no-auth"
        scheme, _, presented = request.headers.get("authorization", "").strip().partition(" ")
        digest = hashlib.sha256(presented.strip().encode("utf-8", "replace")).digest()
        found = None
        for label, expected in digests.items():
            if hmac.compare_digest(digest, expected) and found is None:
                found = label
        if scheme.lower() != "bearer" or not presented.strip() or found is None:
            log.warning("tthc-xl: refused a script call without a valid token from %s", request.client.host if request.client else "?")
            raise HTTPException(status_code=401, detail=UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        request.state.clerk = found
        return found

    @router.post("/custom-scripts-call/{script_name}", dependencies=[Depends(require_token)])
    async def custom_scripts_call(script_name: str, request: Request):
        if script_name not in SCRIPTS:
            raise HTTPException(status_code=404, detail=f"Không có lệnh “{script_name}”.")
        try:
            data = json.loads(await request.body())
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past what a workbook ever is
            raise HTTPException(status_code=400, detail=NOT_JSON) from None
        if not is_book_shaped(data):
            raise HTTPException(status_code=400, detail=NOT_A_BOOK)
        args = data.pop("args", None) or []
        try:
            book = own_book(data)
            problem = setting_problem(book)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise HTTPException(status_code=400, detail=NOT_A_BOOK) from None
        if problem:
            book.close()
            raise HTTPException(status_code=400, detail=problem)
        try:
            book = await xlwings.server.custom_scripts_call(module, script_name, None, typehint_to_value={xw.Book: book}, args=args)
            return JSONResponse(without_server_paths(book.json(), settings.folder))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            log.exception("tthc-xl: a script call failed on the workbook sent")
            raise HTTPException(status_code=400, detail=NOT_A_BOOK) from None
        finally:
            if book.impl.books is not None:
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

    web_client = client_status(settings.static_dir)

    @app.get(f"{settings.app_path}/health")
    async def health():  # public: no folder or other detail of the server here
        """503 while the add-in's client cannot apply every action the buttons return."""
        answer = {
            "status": "ok" if web_client.ok else "error", "version": __version__, "xlwings": xw.__version__,
            "xlwings_server": web_client.version, "auth": not settings.no_auth,
        }
        if not web_client.ok:
            answer |= {"missing_actions": list(web_client.missing), "detail": web_client.message()}
        return JSONResponse(answer, status_code=200 if web_client.ok else 503)

    @app.get(f"{settings.app_path}/taskpane.html", response_class=HTMLResponse)
    async def taskpane():
        # tthc.js runs these (not xlwings' xw-click), so it sees every failure and tells it in Vietnamese
        buttons = "".join(f'<button type="button" data-tthc-script="{name}">{label}</button>' for name, label in SCRIPTS.items())
        error = (
            '<div id="tthc-error" role="alert" hidden><p class="tthc-error-what"></p>'
            '<p class="tthc-error-todo"></p></div>'
        )
        token = (
            '<form id="tthc-token-form"><label for="tthc-token">Mã truy cập máy chủ</label>'
            '<input id="tthc-token" type="password" autocomplete="off" spellcheck="false">'
            '<button type="submit">Lưu mã</button></form>'
        )
        return _page(settings, "tthc-xl", f"<h1>tthc-xl</h1>{buttons}{error}{token}<p id=\"status\"></p>", scripts=["tthc.js"])

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
    # Added last = outermost: a 401 or 413 answer still carries the CORS headers the client needs to read it.
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_origin_regex=OFFICE_ORIGINS,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Auth-Provider"],
        allow_credentials=False,  # the token travels in a header, never in a cookie
        max_age=600,
    )
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
        "<style>body{font-family:'Segoe UI',sans-serif;margin:1em}button{display:block;margin:.5em 0;padding:.5em 1em}"
        "form{margin-top:1.5em}input{display:block;width:100%;box-sizing:border-box;padding:.3em}"
        "#tthc-error{border-left:4px solid #C00000;background:#FDECEA;padding:.3em .8em;margin:1em 0}"
        ".tthc-error-what{font-weight:600}</style>"
        f"</head><body>{body}</body></html>"
    )


def _xlwings_version() -> str:
    import xlwings

    return xlwings.__version__
