// Identity documents of Peru (SUNAT catálogo 06), mirroring domain/identity.py for instant
// feedback; the API stays the authority.
export const RUC_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
const RUC_PREFIXES = new Set(["10", "15", "16", "17", "20"]);

export function rucCheckDigit(body) {
  let total = 0;
  for (let i = 0; i < 10; i += 1) total += RUC_WEIGHTS[i] * Number(body[i]);
  return (11 - (total % 11)) % 10;
}

export function isValidRuc(ruc) {
  return /^\d{11}$/.test(ruc) && RUC_PREFIXES.has(ruc.slice(0, 2)) && rucCheckDigit(ruc.slice(0, 10)) === Number(ruc[10]);
}

// -> { ok: true, value } or { ok: false, msg }
export function checkDocument(docType, raw) {
  const value = String(raw ?? "").trim().toUpperCase();
  const fail = (msg) => ({ ok: false, value, msg });
  switch (docType) {
    case "1":
      return /^\d{8}$/.test(value) ? { ok: true, value } : fail("El DNI debe tener exactamente 8 dígitos.");
    case "6":
      if (!/^\d{11}$/.test(value)) return fail("El RUC debe tener exactamente 11 dígitos.");
      if (!RUC_PREFIXES.has(value.slice(0, 2))) return fail(`El RUC ${value} no es válido: debe empezar con 10, 15, 16, 17 o 20.`);
      if (rucCheckDigit(value.slice(0, 10)) !== Number(value[10])) return fail(`El RUC ${value} no es válido: el dígito verificador no corresponde.`);
      return { ok: true, value };
    case "4":
      return /^[A-Z0-9]{9,12}$/.test(value) ? { ok: true, value } : fail("El carné de extranjería debe tener entre 9 y 12 letras o dígitos.");
    case "7":
      return /^[A-Z0-9]{6,12}$/.test(value) ? { ok: true, value } : fail("El pasaporte debe tener entre 6 y 12 letras o dígitos.");
    case "A":
      return /^[A-Z0-9]{1,15}$/.test(value) ? { ok: true, value } : fail("La cédula diplomática debe tener entre 1 y 15 letras o dígitos.");
    case "0":
      return /^[A-Z0-9-]{0,15}$/.test(value) ? { ok: true, value: value || "-" } : fail("Use hasta 15 letras, dígitos o guiones.");
    default:
      return fail("Tipo de documento no válido.");
  }
}

const NAME = /^[\p{L}]+(?:[ '\-.][\p{L}]*)*$/u;
export function checkName(raw) {
  const value = String(raw ?? "").trim().split(/\s+/).join(" ");
  if (!value) return "Este campo es obligatorio.";
  if (value.length > 120) return "Máximo 120 caracteres.";
  if (!NAME.test(value)) return "Use solo letras, espacios, apóstrofos, guiones o puntos.";
  return "";
}

export function checkEmail(raw) {
  const value = String(raw ?? "").trim();
  if (!value) return "";
  return /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/.test(value) && !value.includes("..")
    ? "" : "Correo electrónico inválido (ejemplo: nombre@dominio.pe).";
}

export function checkPhone(raw) {
  const value = String(raw ?? "").replace(/[\s\-().]+/g, "");
  if (!value) return "";
  const national = value.startsWith("+51") ? value.slice(3) : value;
  if (/^9\d{8}$/.test(national) || /^01\d{7}$/.test(national) || /^\d{7}$/.test(national) || /^0[4-8]\d{7}$/.test(national) || /^[1-8]\d{7,8}$/.test(national)) return "";
  return "Teléfono inválido: use un celular de 9 dígitos que empiece con 9 o un fijo (01 + 7 dígitos en Lima); se admite +51.";
}
