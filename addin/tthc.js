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

// xlwings' task-pane buttons (xw-click) ask globalThis.getAuth() for the Authorization header.
globalThis.getAuth = async () => ({ token: tthcToken() ? "Bearer " + tthcToken() : "", provider: "tthc-token" });

function tthcStatus(text) {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

async function tthcRun(scriptName, event) {
  try {
    if (!tthcToken()) {
      await Office.addin.showAsTaskpane();
      tthcStatus("Chưa có mã truy cập: hãy nhập mã do quản trị viên cấp rồi bấm «Lưu mã».");
      return;
    }
    await xlwings.runPython({ scriptName: scriptName, auth: "Bearer " + tthcToken() });
  } finally {
    if (event) event.completed();
  }
}

Office.onReady(() => {
  Office.actions.associate("tthc-consolidate", (event) => tthcRun("consolidate", event));
  Office.actions.associate("tthc-check", (event) => tthcRun("check", event));
  Office.actions.associate("tthc-clear-marks", (event) => tthcRun("clear_marks", event));
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
