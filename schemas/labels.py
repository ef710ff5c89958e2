"""How the domain's values read in messages to people: Russian names, the §5.2 colours, and
what to fix in a quarantined row."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import ActivityReason, LeadType, ReasonCode, Temperature


@dataclass(frozen=True)
class TemperatureLabel:
    name_ru: str
    colour_ru: str
    colour_hex: str


# SPEC §5.2: hot = red, warm = yellow, cold = blue.
TEMPERATURE_LABELS: dict[Temperature, TemperatureLabel] = {
    Temperature.HOT: TemperatureLabel("горячий", "красный", "#d32f2f"),
    Temperature.WARM: TemperatureLabel("тёплый", "жёлтый", "#f9a825"),
    Temperature.COLD: TemperatureLabel("холодный", "синий", "#1976d2"),
}

# SPEC §4: the types as the vendor's instruction names them.
LEAD_TYPE_LABELS: dict[LeadType, str] = {
    LeadType.CONNECTION: "Подключение",
    LeadType.RENEWAL: "Продление",
    LeadType.UPSELL: "Допродажа",
    LeadType.SERVICE: "Обслуживание",
    LeadType.ACTIVATION: "Активация",
}

# What the owner of a feed file must fix in a row quarantined for each reason: the sentence
# `pp quarantine export` and `pp quarantine list` give beside the code (docs/contract.md).
REASON_FIXES: dict[ReasonCode, str] = {
    ReasonCode.MALFORMED_ROW: (
        "Строка не делится на столбцы заголовка: лишний или недостающий разделитель, "
        "незакрытая кавычка; исправьте строку в исходном файле"
    ),
    ReasonCode.BAD_DATE: (
        "Дата не читается или ещё не наступила (у периода конец должен быть позже начала): "
        "укажите дату как ГГГГ-ММ-ДД или ДД.ММ.ГГГГ"
    ),
    ReasonCode.MISSING_INN: "Нет ИНН, а для этого источника он обязателен: укажите ИНН клиента",
    ReasonCode.BAD_INN: (
        "ИНН не проходит проверку контрольной суммы или в нём не 10 и не 12 цифр: проверьте ИНН"
    ),
    ReasonCode.BAD_KPP: ("КПП неверен: нужно 9 знаков вида NNNNXXNNN, а при ИНН из 12 цифр КПП не указывают"),
    ReasonCode.UNKNOWN_PRODUCT: (
        "Продукт не указан или неизвестен: укажите код или название продукта из справочника"
    ),
    ReasonCode.UNKNOWN_REGION: (
        "Регион неизвестен: укажите двузначный код региона или его название, например 77 или Москва"
    ),
    ReasonCode.BAD_LEAD_TYPE: (
        "Тип ПП неизвестен: укажите подключение, продление, допродажа, обслуживание или "
        "активация, или оставьте пустым"
    ),
    ReasonCode.BAD_TEMPERATURE: "Температура не указана или неизвестна: укажите горячая, тёплая или холодная",
    ReasonCode.MISSING_CONTACTS: "Нет ни телефона, ни e-mail: укажите хотя бы один контакт клиента",
    ReasonCode.FICTITIOUS_PHONE: (
        "Телефон не похож на настоящий российский номер: укажите номер клиента, +7 и 10 цифр"
    ),
    ReasonCode.FICTITIOUS_EMAIL: "E-mail не похож на настоящий адрес: укажите рабочий адрес клиента",
    ReasonCode.NOT_NEW_SALE: (
        "Тип «подключение», но клиент пользовался продуктом в последние 6 месяцев: "
        "укажите другой тип или оставьте тип пустым"
    ),
    ReasonCode.NO_ACTIVE_PERIOD: (
        "Тип «допродажа», но у клиента нет действующего оплаченного периода: "
        "укажите другой тип или оставьте тип пустым"
    ),
    ReasonCode.ALREADY_INGESTED: (
        "Строка с этим внешним ID уже загружена из этого источника и стала лидом: загружать её снова не нужно"
    ),
    ReasonCode.BAD_EVENT: "Событие неизвестно: укажите invoice_issued, invoice_paid или period",
    ReasonCode.UNKNOWN_SC: "Сервисный центр неизвестен: укажите код СЦ из справочника",
    ReasonCode.MISSING_INVOICE: "Нет номера счёта, а для событий счёта он обязателен: укажите номер счёта",
}

# What the sender of an activity file must fix in a row refused for each reason (SPEC §13).
ACTIVITY_FIXES: dict[ActivityReason, str] = {
    ActivityReason.UNKNOWN_LEAD: "Лид не найден или ещё не передан в СЦ: проверьте номер лида",
    ActivityReason.TERMINAL_LEAD: (
        "Лид уже завершён, отклонён, заблокирован или изъят и больше не меняется: уберите строку"
    ),
    ActivityReason.BAD_TRANSITION: (
        "Действие не подходит к статусу лида (например, этап у нового лида): сначала возьмите лид в работу"
    ),
    ActivityReason.MISSING_CONTACT: "Нет контакта с клиентом: укажите contact — call или meeting",
    ActivityReason.MISSING_INVOICE: (
        "Для закрытия лида этого типа нужен оплаченный счёт этого клиента и продукта: укажите invoice_id"
    ),
    ActivityReason.UNPAID_INVOICE: "Счёт ещё не оплачен: закройте лид после оплаты счёта",
    ActivityReason.OUT_OF_ORDER: (
        "Время действия раньше последнего события лида: проверьте время at, история только дополняется"
    ),
    ActivityReason.UNKNOWN_MANAGER: "Менеджер не из СЦ лида: укажите manager_id менеджера этого СЦ",
    ActivityReason.BAD_ACTION: (
        "Действие неизвестно или его поле не читается: action — take, postpone, stage, close, refuse "
        "или assign_manager; время at — с часовым поясом"
    ),
}
