"""Random but realistic result values, with the flag a laboratory would set."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Analyte:
    name: str
    units: str
    low: float
    high: float
    decimals: int = 1


# keyed by the codes laboratories commonly use and by LOINC
ANALYTES: dict[str, Analyte] = {
    "GLU": Analyte("Glucosa", "mg/dL", 70, 99, 0),
    "1558-6": Analyte("Glucosa basal", "mg/dL", 70, 99, 0),
    "HB": Analyte("Hemoglobina", "g/dL", 12.0, 16.0, 1),
    "718-7": Analyte("Hemoglobina", "g/dL", 12.0, 16.0, 1),
    "HCT": Analyte("Hematocrito", "%", 36, 46, 1),
    "4544-3": Analyte("Hematocrito", "%", 36, 46, 1),
    "PLT": Analyte("Plaquetas", "10*3/uL", 150, 450, 0),
    "777-3": Analyte("Plaquetas", "10*3/uL", 150, 450, 0),
    "UREA": Analyte("Urea", "mg/dL", 15, 45, 0),
    "3091-6": Analyte("Urea", "mg/dL", 15, 45, 0),
    "CREA": Analyte("Creatinina", "mg/dL", 0.6, 1.2, 2),
    "2160-0": Analyte("Creatinina", "mg/dL", 0.6, 1.2, 2),
    "URIC": Analyte("Ácido úrico", "mg/dL", 2.4, 7.0, 1),
    "3084-1": Analyte("Ácido úrico", "mg/dL", 2.4, 7.0, 1),
    "CHOL": Analyte("Colesterol total", "mg/dL", 0, 200, 0),
    "2093-3": Analyte("Colesterol total", "mg/dL", 0, 200, 0),
    "HDL": Analyte("Colesterol HDL", "mg/dL", 40, 60, 0),
    "2085-9": Analyte("Colesterol HDL", "mg/dL", 40, 60, 0),
    "LDL": Analyte("Colesterol LDL", "mg/dL", 0, 130, 0),
    "13457-7": Analyte("Colesterol LDL", "mg/dL", 0, 130, 0),
    "TG": Analyte("Triglicéridos", "mg/dL", 0, 150, 0),
    "2571-8": Analyte("Triglicéridos", "mg/dL", 0, 150, 0),
    "TSH": Analyte("Tirotropina", "m[IU]/L", 0.27, 4.20, 2),
    "3016-3": Analyte("Tirotropina", "m[IU]/L", 0.27, 4.20, 2),
    "VSG": Analyte("VSG", "mm/h", 0, 20, 0),
    "4537-7": Analyte("VSG", "mm/h", 0, 20, 0),
    "PT": Analyte("Tiempo de protrombina", "s", 11, 13.5, 1),
    "5902-2": Analyte("Tiempo de protrombina", "s", 11, 13.5, 1),
}


def fmt_range(a: Analyte) -> str:
    lo = f"{a.low:.{a.decimals}f}"
    hi = f"{a.high:.{a.decimals}f}"
    return f"<{hi}" if a.low == 0 else f"{lo}-{hi}"


def flag_for(value: float, a: Analyte) -> str:
    span = a.high - a.low
    if value < a.low - span and a.low > 0:
        return "LL"
    if value > a.high + span:
        return "HH"
    if value < a.low:
        return "L"
    if value > a.high:
        return "H"
    return "N"


def make_value(
    code: str, loinc: str = "", rng: random.Random | None = None
) -> tuple[str, str, str, str, str]:
    """(value type, value, units, reference range, flag) for a test code."""
    r = rng or random
    a = ANALYTES.get(code.upper()) or ANALYTES.get(loinc)
    if a is None:
        return "ST", r.choice(["Negativo", "No reactivo", "Negativo"]), "", "Negativo", "N"
    span = a.high - a.low
    centre = (a.low + a.high) / 2
    value = max(0.0, r.gauss(centre, span / 2.5))
    text = f"{value:.{a.decimals}f}"
    return "NM", text, a.units, fmt_range(a), flag_for(float(text), a)
