// tthc-xl add-in: the ribbon buttons and the callbacks the Python side asks for by name.
// Runs in the task pane page (shared runtime) after xlwings' Office.js client
// (static/js/custom-scripts/index.js), which defines globalThis.xlwings.

async function tthcRun(scriptName, event) {
  try {
    await xlwings.runPython({ scriptName: scriptName });
  } finally {
    if (event) event.completed();
  }
}

Office.onReady(() => {
  Office.actions.associate("tthc-consolidate", (event) => tthcRun("consolidate", event));
  Office.actions.associate("tthc-check", (event) => tthcRun("check", event));
  Office.actions.associate("tthc-clear-marks", (event) => tthcRun("clear_marks", event));
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
