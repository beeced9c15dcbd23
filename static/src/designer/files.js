// Files in and out of the modeler: a .bpmn file read in the encoding it declares, and a
// diagram handed to the browser as a download.

const BYTE_ORDER_MARKS = [
  [[0xef, 0xbb, 0xbf], "utf-8"],
  [[0xff, 0xfe], "utf-16le"],
  [[0xfe, 0xff], "utf-16be"],
];
const DECLARED_ENCODING = /^(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])([A-Za-z][A-Za-z0-9._-]*)(["'])/;

function encodingOf(bytes) {
  for (const [mark, encoding] of BYTE_ORDER_MARKS) {
    if (mark.every((byte, index) => bytes[index] === byte)) {
      return encoding;
    }
  }
  // The declaration is ASCII in every encoding an XML file without a byte order mark may use.
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 256));
  return DECLARED_ENCODING.exec(head)?.[2] || "utf-8";
}

// The file's text, decoded as its byte order mark or XML declaration says (ISO-8859-1 files
// are common among the interchange models); the declaration then says UTF-8, as the text is
// Unicode now and every export is UTF-8.
export async function readXmlFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let decoder;
  try {
    decoder = new TextDecoder(encodingOf(bytes));
  } catch {
    decoder = new TextDecoder("utf-8"); // an encoding the browser does not know
  }
  return decoder.decode(bytes).replace(DECLARED_ENCODING, "$1UTF-8$3");
}

// Revoked a while after the click: the browser reads the blob once the download has started,
// which may be after the click returns.
const REVOKE_AFTER_MS = 60_000;

export function download(filename, content, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([content], { type }));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), REVOKE_AFTER_MS);
}
