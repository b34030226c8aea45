"""New order: catalog search (tests and panels), discount, boleta or factura, then payment."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from domain.errors import InvalidInput
from domain.identity import validate_document
from domain.money import fmt_soles
from domain.physician import Priority, clean_cmp, clean_physician_name
from tui.api import ApiError, Patient, Service
from tui.draft import OrderDraft
from tui.messages import ApiFailed, ServicesFound
from tui.screens.base import ReceptionScreen
from tui.widgets.field import FieldWithError
from tui.widgets.payment_row import amount_of, check_amount

DISCOUNTS: list[tuple[str, str]] = [
    ("Sin descuento", "none"),
    ("Desc. %", "percent"),
    ("Desc. S/", "amount"),
]
DOCUMENTS: list[tuple[str, str]] = [("Boleta", "03"), ("Factura", "01")]
PRIORITIES: list[tuple[str, str]] = [(p.label, p.value) for p in Priority]


def _check_ruc(text: str) -> str | None:
    if not text:
        return None
    try:
        validate_document("6", text)
    except InvalidInput as exc:
        return exc.msg
    return None


def _check_cmp(text: str) -> str | None:
    if not text:
        return None
    try:
        clean_cmp(text, loc=["body", "physician_cmp"])
    except InvalidInput as exc:
        return exc.msg
    return None


class NewOrderScreen(ReceptionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "focus_search", "Buscar examen"),
        Binding("f8", "remove_item", "Quitar ítem"),
        Binding("f9", "checkout", "Cobrar"),
        Binding("escape", "back", "Volver"),
    ]

    def __init__(
        self, patient: Patient, *, draft: OrderDraft | None = None, recovered: bool = False
    ) -> None:
        """``draft``: a sale saved when a session ended (``recovered``: from disk, after the
        terminal was closed), put back on screen as it was."""
        super().__init__()
        self.draft = draft or OrderDraft(patient=patient)
        self.recovered = recovered
        self._found: dict[str, Service] = {}

    def compose_body(self) -> Iterable[Widget]:
        p = self.draft.patient
        with Vertical(id="new-order"):
            yield Static(
                f"Paciente: {p['full_name']} — {p.get('doc_type_label', 'Doc.')} {p['doc_number']}",
                id="order-patient",
            )
            yield FieldWithError(
                "Examen", "service_q", placeholder="código o nombre (Enter: elegir)", label_width=8
            )
            results: DataTable[str] = DataTable(id="service-results", cursor_type="row")
            results.add_columns("Código", "Examen / perfil", "Precio")
            yield results
            cart: DataTable[str] = DataTable(id="cart", cursor_type="row")
            cart.add_columns("Código", "En la orden", "Precio")
            yield cart
            with Horizontal(classes="form-row"):  # from the medical order
                yield Select(
                    PRIORITIES, value="rutina", allow_blank=False, compact=True, id="priority"
                )
                yield FieldWithError("CMP", "physician_cmp", check=_check_cmp)
                yield FieldWithError("Médico", "physician_name", placeholder="solicitante")
            with Horizontal(classes="form-row"):
                yield Select(
                    DISCOUNTS, value="none", allow_blank=False, compact=True, id="discount-kind"
                )
                yield FieldWithError("Valor", "discount.value", check=check_amount)
                yield FieldWithError("Motivo", "discount.reason")
            with Horizontal(classes="form-row"):
                yield Select(
                    DOCUMENTS, value="03", allow_blank=False, compact=True, id="document-type"
                )
                yield FieldWithError("RUC", "customer.doc_number", check=_check_ruc)
                yield FieldWithError("Razón social", "customer.name")
            yield Static("", id="order-totals")
            yield Static("", classes="form-error")

    def on_mount(self) -> None:
        profile = self.reception.profile
        if not self.draft.cashier and profile is not None:
            self.draft.cashier, self.draft.cashier_name = profile["username"], profile["full_name"]
        if self.draft.services or self.recovered:
            self._restore()
        self._render_totals()
        self.action_focus_search()

    def _restore(self) -> None:
        d = self.draft
        kind, value, reason = d.discount_kind, d.discount_value, d.discount_reason
        self._render_cart()
        with self.prevent(Select.Changed, Input.Changed):
            self.query_one("#discount-kind", Select).value = kind or "none"
            if kind:
                self._set("discount.value", f"{value:.2f}")
                self._set("discount.reason", reason)
            self.query_one("#document-type", Select).value = d.document_type
            self.query_one("#priority", Select).value = d.priority
            self._set("physician_cmp", d.physician_cmp)
            self._set("physician_name", d.physician_name)
            if d.customer:
                self._set("customer.doc_number", d.customer.get("doc_number", ""))
                self._set("customer.name", d.customer.get("name", ""))
        d.discount_kind, d.discount_value, d.discount_reason = kind, value, reason
        if self.recovered:
            profile = self.reception.profile
            mine = profile is not None and profile["username"] == d.cashier
            whose = "" if mine else f" de {d.cashier_label()}"
            self.query_one(".form-error", Static).update(
                f"Venta guardada{whose} al terminar una sesión: F9 para cobrarla"
                f"{'' if mine else ' a su nombre'}, Esc para descartarla."
            )
            if profile is not None:
                d.cashier, d.cashier_name = profile["username"], profile["full_name"]
            self.reception.forget_draft()  # on screen again: Esc discards it

    def _set(self, name: str, value: str) -> None:
        field = self.field(name)
        if field is not None:
            field.value = value

    def sync_draft(self) -> None:
        """Copy what the form shows into the draft (unchecked: to keep it, not to send it)."""
        self._read_discount()
        self._read_physician()
        self.draft.document_type = str(self.query_one("#document-type", Select).value)
        ruc, name = self.field("customer.doc_number"), self.field("customer.name")
        if self.draft.document_type == "01" and ruc is not None and name is not None:
            self.draft.customer = {"doc_type": "6", "doc_number": ruc.value, "name": name.value}

    # ---------------------------------------------------------------------- catalog search
    @on(Input.Changed, "#f-service_q-input")
    def _query_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if query:
            self.later(lambda: self._search(query))

    @on(Input.Submitted, "#f-service_q-input")
    def _query_submitted(self) -> None:
        table = self.query_one("#service-results", DataTable)
        if table.row_count:
            table.focus()

    @work(thread=True, exclusive=True, group="service-search", exit_on_error=False)
    def _search(self, query: str) -> None:
        try:
            found = self.reception.call_edge(lambda api: api.search_services(query))
        except ApiError as exc:
            self.post_message(ApiFailed("search", exc))
            return
        self.post_message(ServicesFound(query, found))

    def on_services_found(self, message: ServicesFound) -> None:
        field = self.field("service_q")
        if field is not None and field.value != message.query:
            return
        self._found = {s["id"]: s for s in message.services}
        table = self.query_one("#service-results", DataTable)
        table.clear()
        for s in message.services:
            name = s["name"] + (" (perfil)" if s.get("is_panel") else "")
            table.add_row(s["code"], name, s["price"], key=s["id"])

    @on(DataTable.RowSelected, "#service-results")
    def _add(self, event: DataTable.RowSelected) -> None:
        service = self._found.get(str(event.row_key.value))
        if service is None:
            return
        if not self.draft.add(service):
            self.notify("Ese examen ya está en la orden.", severity="warning")
            return
        self._render_cart()
        field = self.field("service_q")
        if field is not None:
            field.value = ""
            field.input.focus()

    def _render_cart(self) -> None:
        cart = self.query_one("#cart", DataTable)
        cart.clear()
        for s in self.draft.services:
            name = s["name"]
            members = s.get("panel_services") or []
            if members:
                name += f" ({len(members)} exámenes)"
            cart.add_row(s["code"], name, s["price"], key=s["id"])
        self._render_totals()

    def _read_discount(self) -> None:
        kind = str(self.query_one("#discount-kind", Select).value)
        value = self.field("discount.value")
        reason = self.field("discount.reason")
        assert value is not None and reason is not None
        self.draft.discount_kind = None if kind == "none" else kind
        try:
            self.draft.discount_value = amount_of(value.value)
        except InvalidInput:
            self.draft.discount_value = Decimal("0.00")
        self.draft.discount_reason = reason.value

    def _read_physician(self) -> None:
        cmp, name = self.field("physician_cmp"), self.field("physician_name")
        assert cmp is not None and name is not None
        self.draft.priority = str(self.query_one("#priority", Select).value)
        self.draft.physician_cmp, self.draft.physician_name = cmp.value, name.value

    def _check_physician(self) -> bool:
        """The CMP and name as the node keeps them (``domain.physician``), into the draft; a
        name is needed with a CMP. False after marking the field in error."""
        self._read_physician()
        d = self.draft
        cmp, name = self.field("physician_cmp"), self.field("physician_name")
        assert cmp is not None and name is not None
        ok = cmp.validate()
        if ok and d.physician_cmp:
            d.physician_cmp = clean_cmp(d.physician_cmp, loc=["body", "physician_cmp"])
        if d.physician_name or d.physician_cmp:
            try:
                d.physician_name = clean_physician_name(
                    d.physician_name, loc=["body", "physician_name"]
                )
            except InvalidInput as exc:
                name.set_error(exc.msg)
                ok = False
        return ok

    def _render_totals(self) -> None:
        self._read_discount()
        d = self.draft
        self.query_one("#order-totals", Static).update(
            f"Ítems: {len(d.services)}   Subtotal {fmt_soles(d.subtotal)}   "
            f"Descuento {fmt_soles(d.discount)}   TOTAL {fmt_soles(d.total)}"
        )

    @on(Input.Changed, "#f-discount-value-input")
    @on(Select.Changed, "#discount-kind")
    def _discount_changed(self) -> None:
        self._render_totals()

    # ---------------------------------------------------------------------------- actions
    def action_focus_search(self) -> None:
        field = self.field("service_q")
        if field is not None:
            field.input.focus()

    def action_remove_item(self) -> None:
        cart = self.query_one("#cart", DataTable)
        if not cart.row_count:
            return
        key = cart.coordinate_to_cell_key(cart.cursor_coordinate).row_key.value
        if key is not None:
            self.draft.remove(str(key))
            self._render_cart()

    def action_back(self) -> None:
        self.reception.forget_draft()  # a sale given up is not offered again
        self.app.pop_screen()

    def action_checkout(self) -> None:
        from tui.screens.payment import PaymentScreen

        self.clear_errors()
        self._read_discount()
        if not self.draft.services:
            self.query_one(".form-error", Static).update("Agregue al menos un examen.")
            return
        ok = self.validate_fields(["discount.value", "customer.doc_number"])
        ok = self._check_physician() and ok
        d = self.draft
        if d.discount_kind and d.discount_value > 0 and len(d.discount_reason) < 3:
            reason = self.field("discount.reason")
            assert reason is not None
            reason.set_error("Indique el motivo del descuento.")
            ok = False
        d.document_type = str(self.query_one("#document-type", Select).value)
        ruc, name = self.field("customer.doc_number"), self.field("customer.name")
        assert ruc is not None and name is not None
        d.customer = None
        if d.document_type == "01":
            if not ruc.value:
                ruc.set_error("La factura requiere el RUC del cliente.")
                ok = False
            if not name.value:
                name.set_error("Ingrese la razón social.")
                ok = False
            d.customer = {"doc_type": "6", "doc_number": ruc.value, "name": name.value}
        if ok:
            self.app.push_screen(PaymentScreen(d), self._payment_closed)

    def _payment_closed(self, error: ApiError | None) -> None:
        """The payment screen hands back errors about this screen's fields."""
        if error is not None:
            self.show_api_error(error)

    def on_api_failed(self, message: ApiFailed) -> None:
        self.show_api_error(message.error)
