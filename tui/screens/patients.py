"""Find the patient as you type (document or name), or register a new one with inline checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from domain.errors import InvalidInput
from domain.identity import validate_document
from tui.api import ApiError, Patient
from tui.messages import ApiFailed, PatientOffered, PatientSaved, PatientsFound
from tui.screens.base import ReceptionScreen
from tui.widgets.field import FieldWithError

DOC_TYPES: list[tuple[str, str]] = [
    ("DNI", "1"),
    ("Carné ext.", "4"),
    ("Pasaporte", "7"),
    ("RUC", "6"),
    ("Sin doc.", "0"),
]


def parse_birth_date(text: str) -> str | None:
    """ISO date from ``AAAA-MM-DD`` or ``DD/MM/AAAA``; None when empty; ValueError if bad."""
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(text)


def check_birth_date(text: str) -> str | None:
    try:
        parse_birth_date(text)
    except ValueError:
        return "Fecha inválida: use DD/MM/AAAA."
    return None


def check_name(text: str) -> str | None:
    return None if text else "Este campo es obligatorio."


class PatientsScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "focus_search", "Buscar"),
        Binding("f5", "new_patient", "Nuevo paciente"),
        Binding("ctrl+s", "save", "Registrar"),
        Binding("escape", "back", "Volver"),
    ]

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="patients"):
            yield FieldWithError(
                "Buscar", "q", placeholder="DNI o nombre del paciente", label_width=8
            )
            table: DataTable[str] = DataTable(id="patient-results", cursor_type="row")
            table.add_columns("Documento", "Paciente", "Nacimiento", "Teléfono")
            yield table
            yield Static("Registrar paciente nuevo (F5)", classes="section")
            with Horizontal(classes="form-row"):
                yield Select(DOC_TYPES, value="1", allow_blank=False, compact=True, id="doc-type")
                yield FieldWithError("Número", "doc_number", check=self._check_document)
            with Horizontal(classes="form-row"):
                yield FieldWithError("Nombres", "first_names", check=check_name)
                yield FieldWithError("Apellidos", "last_names", check=check_name)
            with Horizontal(classes="form-row"):
                yield FieldWithError(
                    "Nacimiento", "birth_date", placeholder="DD/MM/AAAA", check=check_birth_date
                )
                yield FieldWithError("Sexo", "sex", placeholder="F/M/X")
                yield FieldWithError("Teléfono", "phone")
            yield Static("", classes="form-error")

    def on_mount(self) -> None:
        self.action_focus_search()

    # ---------------------------------------------------------------------------- search
    def _check_document(self, text: str) -> str | None:
        if not text:
            return "Ingrese el número de documento."
        try:
            validate_document(self._doc_type(), text)
        except InvalidInput as exc:
            return exc.msg
        return None

    def _doc_type(self) -> str:
        return str(self.query_one("#doc-type", Select).value)

    @on(Input.Changed, "#f-q-input")
    def _query_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if not query:
            self.query_one("#patient-results", DataTable).clear()
            return
        self.later(lambda: self._search(query))

    @on(Input.Submitted, "#f-q-input")
    def _query_submitted(self, event: Input.Submitted) -> None:
        table = self.query_one("#patient-results", DataTable)
        if table.row_count:
            table.focus()

    @work(thread=True, exclusive=True, group="patient-search", exit_on_error=False)
    def _search(self, query: str) -> None:
        try:
            found = self.reception.call_edge(lambda api: api.search_patients(query))
        except ApiError as exc:
            self.post_message(ApiFailed("search", exc))
            return
        self.post_message(PatientsFound(query, found))

    def on_patients_found(self, message: PatientsFound) -> None:
        current = self.field("q")
        if current is not None and current.value != message.query:
            return  # an older answer
        self._show(message.patients)
        if not message.patients:
            self._prefill(message.query)

    def _show(self, patients: list[Patient]) -> None:
        self._found = {p["id"]: p for p in patients}
        table = self.query_one("#patient-results", DataTable)
        table.clear()
        for p in patients:
            table.add_row(
                f"{p.get('doc_type_label', '')} {p['doc_number']}",
                p["full_name"],
                _birth(p.get("birth_date")),
                p.get("phone") or "",
                key=p["id"],
            )

    def _prefill(self, query: str) -> None:
        """Nothing found: carry what was typed into the form (a number or a name)."""
        target = self.field("doc_number" if query.isdigit() else "last_names")
        text = query if query.isdigit() else query.upper()
        previous = getattr(self, "_prefilled", "")
        if target is not None and target.value in ("", previous):
            target.value = text
            self._prefilled = text

    @on(DataTable.RowSelected, "#patient-results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        patient = getattr(self, "_found", {}).get(event.row_key.value)
        if patient is not None:
            self._serve(patient)

    def _serve(self, patient: Patient) -> None:
        from tui.screens.new_order import NewOrderScreen

        self.app.push_screen(NewOrderScreen(patient))

    # --------------------------------------------------------------------------- register
    def action_focus_search(self) -> None:
        q = self.field("q")
        if q is not None:
            q.input.focus()

    def action_new_patient(self) -> None:
        self.query_one("#doc-type", Select).focus()

    def action_back(self) -> None:
        self.app.pop_screen()

    def form(self) -> dict[str, Any]:
        values = {f.name: f.value for f in self.fields() if f.name and f.name != "q"}
        body: dict[str, Any] = {"doc_type": self._doc_type(), **values}
        body["birth_date"] = parse_birth_date(values.get("birth_date", ""))
        return {k: v for k, v in body.items() if v not in ("", None)}

    def action_save(self) -> None:
        self.clear_errors()
        names = ["doc_number", "first_names", "last_names", "birth_date"]
        if not self.validate_fields(names):
            return
        self._register(self.form())

    @work(thread=True, exclusive=True, group="patient-save", exit_on_error=False)
    def _register(self, body: dict[str, Any]) -> None:
        try:
            patient = self.reception.call_edge(lambda api: api.create_patient(body))
        except ApiError as exc:
            existing = exc.extra.get("patient_id") if exc.code == "patient_duplicate" else None
            if existing:  # offer the patient already registered with that document
                try:
                    found = self.reception.call_edge(lambda api: api.get_patient(str(existing)))
                except ApiError:
                    pass
                else:
                    self.post_message(PatientOffered(found, exc.msg))
                    return
            self.post_message(ApiFailed("register", exc))
            return
        self.post_message(PatientSaved(patient))

    def on_patient_offered(self, message: PatientOffered) -> None:
        self._show([message.patient])
        number = self.field("doc_number")
        if number is not None:
            number.set_error(f"{message.msg} Enter: atenderlo (está arriba, en la lista).")
        self.query_one("#patient-results", DataTable).focus()

    def on_patient_saved(self, message: PatientSaved) -> None:
        self.notify(f"Paciente registrado: {message.patient['full_name']}", timeout=4)
        for f in self.fields():
            f.value = ""
        self._serve(message.patient)

    def on_api_failed(self, message: ApiFailed) -> None:
        self.show_api_error(message.error)


def _birth(value: str | None) -> str:
    if not value:
        return ""
    return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
