// tthc-xl add-in: the ribbon buttons and the callbacks the Python side asks for by name.
// Runs in the task pane page (shared runtime) after xlwings' Office.js client
// (static/js/custom-scripts/index.js), which defines globalThis.xlwings.

// The server's access token: typed once by the clerk in the task pane ("Mã truy cập"), kept in
// this browser's / Excel's local storage for the add-in's origin (never in the workbook:
// Office.context.document.settings would travel with the file; roamingSettings is Outlook-only).
const TTHC_TOKEN_KEY = "tthc-xl-token";

function tthcToken() {
  try {
    return localStorage.getItem(TTHC_TOKEN_KEY) || "";
  } catch (e) {
    return "";
  }
}

// xlwings' own buttons (xw-click, sheet buttons), where a page has them, ask globalThis.getAuth() for the header.
globalThis.getAuth = async () => ({ token: tthcToken() ? "Bearer " + tthcToken() : "", provider: "tthc-token" });

function tthcStatus(text) {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// Script calls and their failures, told in Vietnamese: what happened, what to do.
// The buttons of the task pane and of the ribbon both go through tthcRun, which posts the
// workbook itself (xlwings.getBookData), so every failure is seen here with its HTTP status, and
// applies the answer (xlwings.runActions). XMLHttpRequest rather than fetch: on Excel for Mac
// fetch gives up after 60 s whatever the timeout, and a consolidation may take longer.
// ---------------------------------------------------------------------------------------------

const TTHC_ADMIN = "nếu vẫn lỗi, báo quản trị viên máy chủ tthc-xl kèm thời điểm bấm nút";
const TTHC_TOKEN_HELP = "Bấm nút «Mã truy cập» trên tab TTHC, nhập mã do quản trị viên cấp cho đơn vị mình rồi bấm «Lưu mã».";

class TthcFailure extends Error {
  // kind: "http" (status set), "network", "timeout", "actions", "token"
  constructor(kind, { status = 0, detail = "", cause = null } = {}) {
    super(`${kind} ${status} ${detail}`.trim());
    this.kind = kind;
    this.status = status;
    this.detail = detail;
    this.cause = cause;
  }
}

// Vietnamese text from the server (its refusals are written for the clerk) is shown as it is;
// anything else (a proxy's page, a framework's English) is not.
function tthcVietnamese(text) {
  return typeof text === "string" && /[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]/i.test(text);
}

// {what, todo}: the message for a failure.
function tthcMessage(failure) {
  const said = tthcVietnamese(failure.detail) ? failure.detail : "";
  switch (failure.kind) {
    case "token":
      return { what: "Chưa có mã truy cập máy chủ trên máy này.", todo: TTHC_TOKEN_HELP };
    case "network":
      return {
        what: "Không kết nối được máy chủ tthc-xl (mạng bị ngắt, máy chủ đang tắt hoặc bị chặn).",
        todo: `Kiểm tra kết nối mạng (hoặc VPN) rồi bấm lại nút; ${TTHC_ADMIN}.`,
      };
    case "timeout":
      return {
        what: "Máy chủ tthc-xl không trả lời kịp (quá thời gian chờ).",
        todo: `Chờ một lát rồi bấm lại nút; ${TTHC_ADMIN}.`,
      };
    case "actions":
      return {
        what: "Máy chủ đã làm xong nhưng Excel chỉ cập nhật được một phần bảng tính.",
        todo: `Bấm lại nút một lần nữa; ${TTHC_ADMIN} (có thể add-in cần cập nhật).`,
      };
  }
  const status = failure.status;
  if (status === 401 || status === 403) {
    return { what: said || "Máy chủ từ chối: chưa có mã truy cập hoặc mã không đúng.", todo: TTHC_TOKEN_HELP };
  }
  if (status === 413) {
    return {
      what: said || "Bảng tính gửi lên lớn hơn mức máy chủ nhận.",
      todo: "Xóa bớt các trang tính không cần trong tệp tổng hợp rồi bấm lại nút, hoặc nhờ quản trị viên tăng giới hạn (--max-request-mb).",
    };
  }
  if (status === 400 || status === 422) {
    return {
      what: said || "Máy chủ không đọc được bảng tính gửi lên.",
      todo: `Lưu tệp, đóng rồi mở lại tệp và bấm lại nút; ${TTHC_ADMIN}.`,
    };
  }
  if (status === 404) {
    return {
      what: "Máy chủ không có lệnh này: add-in và máy chủ tthc-xl không cùng phiên bản.",
      todo: "Báo quản trị viên cập nhật add-in (nạp lại manifest.xml) hoặc máy chủ.",
    };
  }
  if (status >= 500) {
    return {
      what: `Máy chủ tthc-xl gặp lỗi khi xử lý (mã lỗi ${status}).`,
      todo: `Chờ một lát rồi bấm lại nút; ${TTHC_ADMIN}.`,
    };
  }
  return { what: `Máy chủ tthc-xl trả lời bất thường (mã ${status}).`, todo: `Bấm lại nút; ${TTHC_ADMIN}.` };
}

function tthcShowError(message) {
  const box = document.getElementById("tthc-error");
  if (!box) return;
  box.querySelector(".tthc-error-what").textContent = message.what;
  box.querySelector(".tthc-error-todo").textContent = message.todo;
  box.hidden = false;
}

function tthcHideError() {
  const box = document.getElementById("tthc-error");
  if (box) box.hidden = true;
}

function tthcConfig() {
  try {
    return JSON.parse(document.getElementById("config").textContent);
  } catch (e) {
    return {};
  }
}

// POST the payload; resolves to the answer's JSON, rejects with a TthcFailure.
function tthcPost(url, payload, headers, timeoutSeconds) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.timeout = timeoutSeconds * 1000;
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch (e) {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data) return resolve(data);
      const detail = data && typeof data.detail === "string" ? data.detail : "";
      reject(new TthcFailure("http", { status: xhr.status || 0, detail }));
    };
    xhr.onerror = () => reject(new TthcFailure("network"));
    xhr.onabort = () => reject(new TthcFailure("network"));
    xhr.ontimeout = () => reject(new TthcFailure("timeout"));
    xhr.send(JSON.stringify(payload));
  });
}

// One button press: the message shown in the task pane's error box when it fails. Returns the
// failure (or null) so callers and tests see what was shown.
async function tthcRun(scriptName, event) {
  let failure = null;
  tthcHideError();
  try {
    if (!tthcToken()) throw new TthcFailure("token");
    const config = tthcConfig();
    const url = window.location.origin + (config.appPath || "") + `/xlwings/custom-scripts-call/${scriptName}`;
    await Excel.run(async (context) => {
      const headers = { "Auth-Provider": "tthc-token" };
      const payload = await xlwings.getBookData({ auth: "Bearer " + tthcToken(), headers }, context);
      headers["Authorization"] = "Bearer " + tthcToken();
      headers["Content-Type"] = "application/json";
      const answer = await tthcPost(url, payload, headers, config.requestTimeout || 300);
      try {
        await xlwings.runActions(answer, context);
      } catch (cause) {
        throw new TthcFailure("actions", { detail: String((cause && cause.message) || cause), cause });
      }
    });
  } catch (error) {
    failure = error instanceof TthcFailure ? error : new TthcFailure("actions", { detail: String(error), cause: error });
    console.error("tthc-xl:", failure, failure.cause || "");
    tthcShowError(tthcMessage(failure));
    if (event) {
      try {
        await Office.addin.showAsTaskpane(); // a ribbon button: open the pane so the message shows
      } catch (e) {
        console.error("tthc-xl: cannot open the task pane", e);
      }
    }
  } finally {
    if (event) event.completed();
  }
  return failure;
}

Office.onReady(() => {
  Office.actions.associate("tthc-consolidate", (event) => tthcRun("consolidate", event));
  Office.actions.associate("tthc-check", (event) => tthcRun("check", event));
  Office.actions.associate("tthc-clear-marks", (event) => tthcRun("clear_marks", event));
  for (const button of document.querySelectorAll("[data-tthc-script]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await tthcRun(button.getAttribute("data-tthc-script"), null);
      } finally {
        button.disabled = false;
      }
    });
  }
  const form = document.getElementById("tthc-token-form");
  if (!form) return;
  if (tthcToken()) tthcStatus("Đã có mã truy cập trên máy này.");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("tthc-token");
    const token = input.value.trim().replace(/^Bearer\s+/i, "");
    input.value = "";
    try {
      if (token) localStorage.setItem(TTHC_TOKEN_KEY, token);
      else localStorage.removeItem(TTHC_TOKEN_KEY);
      tthcHideError();
      tthcStatus(token ? "Đã lưu mã truy cập trên máy này." : "Đã xóa mã truy cập trên máy này.");
    } catch (err) {
      tthcStatus("Không lưu được mã truy cập (trình duyệt chặn bộ nhớ cục bộ).");
    }
  });
});

// Called by the `runMacro` action: book.app.macro("tthcProtectSheet")(sheet, protect, unlocked).
// The master sheet is protected without a password (it guards formulas against slips);
// `unlocked` lists the input ranges ("D9:E24,G9:I24") the clerk may type in.
async function tthcProtectSheet(context, sheetName, protect, unlocked) {
  const sheet = context.workbook.worksheets.getItem(sheetName);
  sheet.protection.load("protected");
  await context.sync();
  if (!protect) {
    if (sheet.protection.protected) sheet.protection.unprotect();
    await context.sync();
    return;
  }
  for (const address of String(unlocked || "").split(",").filter((a) => a)) {
    sheet.getRange(address).format.protection.locked = false;
  }
  if (!sheet.protection.protected) {
    sheet.protection.protect({
      allowFormatCells: true,
      allowFormatColumns: true,
      allowFormatRows: true,
      allowEditObjects: true,
    });
  }
  await context.sync();
}

// Called by the `runMacro` action: book.app.macro("tthcPageLayout")(sheet, json) with
// printing.PrintSettings as JSON (points for margins). Needs ExcelApi 1.9; older hosts keep
// their page setup (the print area is set by xlwings itself).
async function tthcPageLayout(context, sheetName, layoutJson) {
  if (!Office.context.requirements.isSetSupported("ExcelApi", "1.9")) return;
  const layout = JSON.parse(layoutJson);
  const page = context.workbook.worksheets.getItem(sheetName).pageLayout;
  page.orientation = layout.orientation;
  page.paperSize = layout.paperSize;
  page.setPrintTitleRows(layout.titleRows);
  page.setPrintMargins("Points", layout.margins);
  page.centerHorizontally = layout.centerHorizontally;
  page.zoom = { horizontalFitToPages: layout.fitWidth, verticalFitToPages: layout.fitHeight };
  page.headersFooters.defaultForAllPages.centerFooter = layout.footer;
  await context.sync();
}

Office.onReady(() => {
  xlwings.registerCallback(tthcProtectSheet);
  xlwings.registerCallback(tthcPageLayout);
});
