"""How the domain's values read in messages to SCs: Russian names and the §5.2 colours."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import LeadType, Temperature


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
