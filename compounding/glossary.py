"""One table of names: every input field the core and the Excel export refuse by name, every key of
a result's JSON and every key of a calculation trace's steps, with the label a person reads, the
unit and a description.

The trace, the JSON, the text sheet, the Excel record, the CLI help and the app take their words for
a name from here (``term("filler_to_add").label``), so one name means one thing everywhere: a refusal
names ``component_expiries`` and the form listens for ``component_expiries``; ``filler_to_add`` (what
goes on the balance besides an aliquot's diluent) is not ``filler_to_weigh`` (all the filler in the
blend). tests/test_glossary.py checks that every field the core raises and every key of a result's
JSON is here.

Indexed fields (``stages[2].dose``) are looked up by their name before the index (``stages``);
numbered trace keys by their family (``aliquot_stage_2`` → ``aliquot_stage``, ``capsules_1.5mg`` →
``capsules_of_strength``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Term", "GLOSSARY", "term", "WEIGHING_KEYS", "WEIGHING_WORDS"]


@dataclass(frozen=True)
class Term:
    label: str
    unit: str  # "" for text, flags, dates and plain counts
    description: str
    option: str = ""  # the command-line option, where it is not --<field with dashes>


#: the weighings of a capsule plan (compounding.weighing.WEIGHING_KEYS): the actual weight of each is
#: the input ``actual_<key>``
WEIGHING_KEYS = ("drug", "diluent", "aliquot", "diluent_2", "aliquot_2", "filler")

_T = Term
_TABLE: dict[str, Term] = {
    # --- inputs: the order fields, and other names a refusal gives ------------------------------
    "strength": _T("Strength per capsule", "mg", "Naltrexone HCl per capsule (LDN range 0.1-4.5 mg); in a "
                   "dispensing list, the strength of the capsules"),
    "quantity": _T("Capsules ordered", "capsules", "The number of capsules prescribed (the input; the result "
                   "calls it capsules_ordered)"),
    "extra": _T("Extra capsules", "capsules or %", "Capsules made beyond the order for losses: a count, or a "
                "percentage rounded up"),
    "source": _T("Drug source", "", "api (naltrexone HCl powder) or tablets (crushed commercial 50 mg tablets)"),
    "formula": _T("Master formula", "", "The master formula id (formulas/*.toml); in a result, its id, version "
                  "and name; in a trace step, the calculation in words"),
    "potency": _T("As-is potency", "%", "Drug content of the API lot as weighed (assay corrected for water)"),
    "assay": _T("Assay", "%", "The lot's assay on the anhydrous basis (certificate of analysis)"),
    "water": _T("Water content", "%", "The lot's water content (certificate of analysis)"),
    "api_form": _T("API form", "", "The naltrexone form weighed: hcl_anhydrous, hcl_dihydrate or base"),
    "potency_basis": _T("Potency basis", "", "The form whose as-is content the potency is"),
    "strength_basis": _T("Strength stated as", "", "The form the prescribed strength is stated as"),
    "tablet_weight": _T("Average tablet weight", "mg/tablet", "Measured average weight of one 50 mg tablet"),
    "capsule_size": _T("Capsule size", "", "Hard gelatin capsule size, 000 to 5"),
    "filler": _T("Filler", "", "The filler (fillers.toml key); in a list of weighings, the filler weighed"),
    "fill_weight": _T("Filler fill weight", "mg/capsule", "Measured filler in one capsule of the size "
                      "(packing statistic)"),
    "api_fill_weight": _T("Drug powder fill weight", "mg/capsule", "Measured drug powder in one capsule of "
                          "the size"),
    "method": _T("Filler method", "", "packing_statistic or density"),
    "drug_bulk_density": _T("Drug bulk density", "g/mL", "Bulk density of the drug powder (density method)"),
    "filler_bulk_density": _T("Filler bulk density", "g/mL", "Bulk density of the filler (density method)"),
    "balance": _T("Balance", "", "The balance (balances.toml key), or custom for an entered MWQ"),
    "mwq": _T("Minimum weighable quantity", "mg", "The least mass the balance weighs within its accuracy "
              "(USP <41>)"),
    "readability": _T("Readability", "mg", "The smallest step the balance shows; every weighing is rounded to it"),
    "qc_limits": _T("Capsule weight limits", "%", "Low and high limits of each capsule's weight, as % of the "
                    "fill weight"),
    "qc_low": _T("Capsule weight limit, low", "%", "Each capsule at least this % of the fill weight (capsule "
                 "batch input; the weight check calls it individual_low)"),
    "qc_high": _T("Capsule weight limit, high", "%", "Each capsule at most this % of the fill weight (capsule "
                  "batch input; the weight check calls it individual_high)"),
    "compounding_date": _T("Compounding date", "", "The day the preparation is made (ISO date)"),
    "date": _T("Compounding date", "", "The day the preparation is made (the compounding_date field as the "
               "forms and the CLI name it); in a chart or fill, that day's date", "--date"),
    "component_expiries": _T("Component expiries", "", "Expiry dates of the components; the BUD never passes "
                             "the earliest", "--component-expiry"),
    "actual_weights": _T("Actual weights", "mg", "What was actually weighed, by weighing; the batch is "
                         "recalculated from them"),
    "concentration": _T("Concentration", "mg/mL", "Naltrexone HCl per mL of the liquid"),
    "final_volume": _T("Final volume", "mL", "The volume the liquid is made up to", "--volume"),
    "tablets": _T("Whole 50 mg tablets", "tablets", "Whole 50 mg tablets used (give two of tablets, "
                  "concentration and final volume)"),
    "vehicle": _T("Vehicle", "", "The liquid vehicle (vehicles.toml key)"),
    "doses": _T("Doses", "mg", "The patient's doses of naltrexone HCl, for the dose-volume table"),
    "dose": _T("Dose", "mg", "One daily dose of naltrexone HCl", "--doses"),
    "day_one_is_compounding_day": _T("Day 1 is the compounding day", "", "Count the compounding day as day 1 "
                                     "of the BUD (an SOP convention)"),
    "start": _T("Start dose", "mg", "The first daily dose of a titration"),
    "step": _T("Dose step", "mg", "The increase at each step of a titration"),
    "every": _T("Step interval", "days", "Days between dose steps"),
    "target": _T("Target dose", "mg", "The maintenance dose a titration reaches; in the weight check, the target "
                 "fill weight per capsule"),
    "maintain": _T("Days at target", "days", "Days at the target dose"),
    "stages": _T("Stages", "", "Explicit titration stages, dose:days each; in an aliquot, its dilution stages"),
    "preset": _T("Regimen preset", "", "A titration regimen from regimens.toml"),
    "form": _T("Dosage form", "", "capsules or liquid (a titration plan)"),
    "start_date": _T("Start date", "", "Day 1 of the plan (ISO date); in a stage, its first day's date"),
    "overage": _T("Overage", "%", "Added to each liquid fill's volume for losses"),
    "bud_category": _T("BUD category", "", "The USP <795> (2023) Table 4 category"),
    "days": _T("Days", "days", "A number of days (of a stage, a fill or the BUD)"),
    "order": _T("Order", "", "An order as JSON (compounding.orders)"),
    "kind": _T("Record kind", "", "capsules, oral_liquid or titration; in a device, its kind"),
    "naltrexone_hcl": _T("Naltrexone HCl in the batch", "mg", "Naltrexone HCl (anhydrous) in the batch; in a "
                         "titration's fill, in that fill"),
    "drug_required": _T("Drug required", "mg", "Drug a weighing plan has to deliver"),
    "tablet_strength": _T("Tablet strength", "mg/tablet", "Naltrexone HCl in one commercial tablet"),
    "weight_of_tablets": _T("Weight of tablets weighed", "mg", "Total mass of the tablets weighed together"),
    "tablets_weighed": _T("Tablets weighed", "tablets", "How many tablets were weighed together"),
    "minimum_dose_volume": _T("Smallest dose volume", "mL", "The smallest volume measured as a dose"),
    "aliquot": _T("Aliquot", "mg", "An aliquot plan (powder below the MWQ); as a weighing, the aliquot taken"),
    "factor": _T("Dilution factor", "", "How many times a stage dilutes the drug"),
    # weight check (compounding.qc)
    "weights": _T("Capsule weights", "mg", "The weights of the capsules checked; in a blend outcome, the "
                  "weights used"),
    "weights_file": _T("Weights file", "", "A file of capsule weights"),
    "weights_unit": _T("Unit of the weights", "", "The unit the capsule weights are in"),
    "shell": _T("Empty shell weight", "mg", "Weight of an empty capsule shell, for gross weights"),
    "batch_size": _T("Batch size", "capsules", "Capsules in the batch checked"),
    "individual_low": _T("Capsule weight limit, low", "%", "Weight check: each capsule at least this % of the "
                         "target (the capsule batch calls it qc_low)"),
    "individual_high": _T("Capsule weight limit, high", "%", "Weight check: each capsule at most this % of "
                          "the target (the capsule batch calls it qc_high)"),
    "mean_tolerance": _T("Mean weight tolerance", "%", "The mean capsule weight within ± this of the target"),
    "rsd_maximum": _T("Largest RSD", "%", "The relative standard deviation of the weights at most this"),

    # QA check (compounding.check) and reading an Excel record (compounding.verify)
    "preparation": _T("Preparation", "", "What the QA check recomputes: capsules or oral_liquid"),
    "qa.amounts": _T("QA amounts", "", "The QA pharmacist's own amounts, each with its unit"),
    "qa.dose_volumes": _T("QA dose volumes", "mL", "The QA pharmacist's dose:volume pairs"),
    "file": _T("File", "", "An exported Excel record to check"),

    # the Excel record (compounding.excel): what a pharmacy writes on it, and the export's options
    "pharmacy_name": _T("Pharmacy", "", "The pharmacy's name, printed on every page", "--pharmacy"),
    "pharmacy_contact": _T("Pharmacy address and phone", "", "Printed on the label"),
    "lot_number": _T("Internal lot / Rx number", "", "The batch's lot or prescription number, printed in every "
                     "page header", "--lot"),
    "patient": _T("Patient", "", "The patient's name"),
    "prescriber": _T("Prescriber", "", "The prescriber's name"),
    "directions": _T("Directions", "", "The directions for use printed on the label (left out: a blank line to "
                     "fill by hand)"),
    "compounded_by": _T("Compounded by", "", "Who compounded the batch"),
    "verified_by": _T("Verified by", "", "Who verified the batch"),
    "released_by": _T("Released by", "", "Who released the batch"),
    "notes": _T("Notes and deviations", "", "Free text on the record"),
    "capsule_weights": _T("Capsule weight rows", "", "Rows of the record's capsule weight check, all to be "
                          "weighed (at least the QC sample)"),
    "patient_dose": _T("Patient's dose", "mg", "The dose printed on the liquid label with its volume on the "
                       "oral syringe dispensed"),
    "paper": _T("Paper size", "", "A4 or Letter"),
    "bundle": _T("Reference data", "", "The reference-data bundle (formulas/ and its figures, with its content "
                 "hash) a result was computed with; a record is exported with that bundle"),
    "xlsx": _T("Excel file", "", "The path the Excel record is written to"),
    "allocation": _T("Allocation", "", "A worklist's allocation of a batch to prescriptions, printed on its record"),
    "extra_count": _T("Extra capsules (a count)", "capsules", "The record's extra capsules given as a count"),
    "extra_percent": _T("Extra capsules (a percentage, rounded up)", "%", "The record's extra capsules given as a percentage "
                        "of the order, rounded up"),

    # --- results: keys of the JSON (as_dict) of CapsuleBatch, LiquidPreparation, TitrationPlan ----
    "id": _T("Formula id", "", "The master formula's id"),
    "version": _T("Formula version", "", "The master formula's version"),
    "name": _T("Name", "", "The name of a formula, component or device"),
    "capsules_ordered": _T("Capsules ordered", "capsules", "The order's quantity"),
    "capsules_to_make": _T("Capsules to make", "capsules", "Capsules ordered + extra"),
    "salt_factor": _T("Salt factor", "", "MW of the form weighed ÷ MW of the form the strength is stated as"),
    "api_to_weigh": _T("Naltrexone HCl powder to weigh", "mg", "Drug × salt factor ÷ as-is potency"),
    "tablets_to_crush": _T("Whole 50 mg tablets to crush", "tablets", "Whole tablets crushed for the powder"),
    "tablets_to_use": _T("Whole 50 mg tablets to use", "tablets", "Whole tablets used when no powder is weighed"),
    "tablets_equivalent": _T("Tablets' worth of drug", "tablets", "Drug ÷ tablet strength (may be fractional)"),
    "average_tablet_weight": _T("Average tablet weight", "mg/tablet", "Measured average weight of one tablet"),
    "tablet_powder_to_weigh": _T("Tablet powder to weigh", "mg", "Drug × average tablet weight ÷ tablet strength"),
    "filler_per_capsule": _T("Filler per capsule", "mg", "Filler in one capsule"),
    "filler_to_weigh": _T("Filler in the blend", "mg", "All the filler in the blend: filler per capsule × "
                          "capsules to make (not what goes on the balance when an aliquot carries diluent)"),
    "filler_to_add": _T("Filler to add", "mg", "The filler weighed and added to the blend: filler in the blend "
                        "− diluent carried in the aliquot"),
    "blend_total": _T("Blend total", "mg", "Drug powder + filler"),
    "fill_weight_per_capsule": _T("Fill weight per capsule", "mg", "Blend total ÷ capsules to make"),
    "fill_weight_min": _T("Lowest acceptable capsule fill", "mg", "Fill weight × the low capsule weight limit"),
    "fill_weight_max": _T("Highest acceptable capsule fill", "mg", "Fill weight × the high capsule weight limit"),
    "weighings": _T("Weighings", "", "Every amount put on the balance, rounded to its readability"),
    "planned": _T("Planned outcome", "", "The batch the planned weighings make"),
    "actual": _T("Actual outcome", "", "The batch the actual weights make"),
    "bud": _T("Beyond-use date", "", "Compounding date + BUD days, capped by the earliest component expiry"),
    "bud_days": _T("BUD days", "days", "Days from compounding to the BUD"),
    "bud_basis": _T("BUD basis", "", "Why this BUD (USP <795> Table 4, any expiry cap)"),
    "storage": _T("Storage", "", "How to store the preparation"),
    "storage_label": _T("Storage label", "", "The storage words on the label"),
    "warnings": _T("Warnings", "", "What the pharmacist must know about this result"),
    "trace": _T("Calculation trace", "", "Each step of the calculation with its formula and inputs"),
    "vehicle_name": _T("Vehicle name", "", "The vehicle's name"),
    "above_mwq": _T("Every weighing at or above the MWQ", "", "True when every weighed amount is ≥ the MWQ"),
    "components": _T("Vehicle components", "", "Each component scaled to the final volume"),
    "dose_volumes": _T("Dose-volume table", "", "For each dose: volume, syringe, whether measurable"),
    "recommended_concentration": _T("Recommended concentration", "mg/mL", "A standard concentration at which "
                                    "every dose is measurable (only when this one is not)"),
    "labels": _T("Label", "", "The lines printed on the label"),
    "total_days": _T("Days in the plan", "days", "Σ stage days"),
    "total_drug": _T("Naltrexone HCl over the plan", "mg", "Σ dose × days"),
    "capsules_per_strength": _T("Capsules per strength", "", "Capsules of each strength to dispense"),
    "single_strength": _T("Single-strength alternative", "", "Capsules of the lowest dose only, when every dose "
                          "is a multiple of it"),
    "total_volume": _T("Liquid over the plan", "mL", "Total drug ÷ concentration (before any overage)"),
    "fills": _T("Fills", "", "Bottles made so that none outlives its BUD"),
    "chart": _T("Patient chart", "", "Day by day: date, dose, capsule or volume"),
    # nested keys
    "value": _T("Value", "", "A quantity's exact value (with unit) or a trace step's value"),
    "unit": _T("Unit", "", "A quantity's unit"),
    "key": _T("Key", "", "The name of a trace step, weighing or device"),
    "description": _T("Description", "", "What a trace step computes"),
    "inputs": _T("Step inputs", "", "The values a trace step used, by name"),
    "what": _T("What is weighed", "", "The material of a weighing"),
    "amount": _T("Amount", "mg or mL", "The amount of a weighing or component"),
    "shown": _T("Shown as", "", "The amount as displayed"),
    "below_mwq": _T("Below the MWQ", "", "The weighing is below the balance's MWQ"),
    "acceptable_low": _T("Acceptable from", "mg", "The lowest acceptable reading of a weighing"),
    "acceptable_high": _T("Acceptable to", "mg", "The highest acceptable reading of a weighing"),
    "basis": _T("Basis", "", "planned or actual"),
    "drug_per_capsule": _T("Drug per capsule", "mg", "Drug each capsule holds from these weighings"),
    "drug_powder": _T("Drug powder in the blend", "mg", "Drug powder these weighings put in the blend"),
    "percent_of_target": _T("% of target", "%", "Drug delivered ÷ drug wanted"),
    "within_limits": _T("Within limits", "", "The outcome is within its limits"),
    "reasons": _T("Reasons", "", "Why an outcome is outside its limits"),
    "drug_to_weigh": _T("Drug to weigh", "mg", "Drug powder weighed for an aliquot stage"),
    "diluent_to_add": _T("Diluent to add", "mg", "Diluent added in an aliquot stage"),
    "aliquot_to_take": _T("Aliquot to take", "mg", "Mixture taken from an aliquot stage"),
    "mixture_total": _T("Mixture total", "mg", "Drug + diluent of an aliquot stage"),
    "drug_in_final_aliquot": _T("Drug in the final aliquot", "mg", "Drug the last aliquot carries"),
    "final_aliquot_to_take": _T("Final aliquot to take", "mg", "The mixture taken into the blend"),
    "instructions": _T("Instructions", "", "The aliquot plan in words"),
    "powder_delivered": _T("Powder delivered", "mg", "Powder the measured volume holds"),
    "stock_concentration": _T("Stock concentration", "mg/mL", "Powder per mL of a stock solution"),
    "stock_volume": _T("Stock volume", "mL", "Volume a stock solution is made up to"),
    "stock_volume_to_take": _T("Stock volume to take", "mL", "Volume of stock measured into the batch"),
    "made_up_to": _T("Made up to", "mL", "The flask volume a stage is made up to"),
    "flask": _T("Flask", "", "The volumetric flask of a stage"),
    "volume_to_take": _T("Volume to take", "mL", "Volume measured from a stage"),
    "measured_with": _T("Measured with", "", "The device that measures a stage's volume"),
    "device_graduation": _T("Device graduation", "mL", "The measuring device's graduation"),
    "device_minimum": _T("Device minimum", "mL", "The smallest volume the device measures"),
    "role": _T("Role", "", "A component's role in the vehicle"),
    "make_up_to_final_volume": _T("Make up to volume", "", "The component fills up to the final volume"),
    "volume": _T("Volume", "mL", "Volume of a dose or a fill"),
    "syringe": _T("Oral syringe", "", "The syringe that measures a dose"),
    "on_graduation": _T("On a mark", "", "The volume is on a graduation mark of the syringe"),
    "measurable": _T("Measurable", "", "A syringe measures the volume (on a mark, ≥ its minimum)"),
    "days_supply": _T("Days' supply", "days", "Days one bottle lasts at this dose once daily"),
    "doses_in_bottle": _T("Doses in the bottle", "", "Whole doses in one bottle"),
    "days_usable": _T("Days usable", "days", "Days' supply limited by the BUD"),
    "limited_by_bud": _T("Limited by the BUD", "", "The bottle would last longer than its BUD"),
    "capacity": _T("Capacity", "mL", "A device's capacity"),
    "graduation": _T("Graduation", "mL", "A device's graduation"),
    "minimum": _T("Smallest", "mL or mg", "The smallest volume a device measures; in the weight check, the "
                  "lightest capsule"),
    "first_day": _T("First day", "", "The first plan day of a stage or fill"),
    "last_day": _T("Last day", "", "The last plan day of a stage or fill"),
    "end_date": _T("End date", "", "A stage's last day's date"),
    "dose_volume": _T("Dose volume", "mL", "A stage's dose ÷ concentration"),
    "stage_volume": _T("Stage volume", "mL", "Dose volume × days of a stage"),
    "count": _T("Count", "capsules", "Capsules of a strength"),
    "fill": _T("Fill", "", "The fill (bottle) number"),
    "day": _T("Day", "", "The plan day"),
    "capsule": _T("Capsule", "mg", "The strength of the one capsule to take that day"),

    # --- trace steps: keys of Step that are not a result key above (tests/test_glossary.py collects
    # them from runs); a step's own description adds the case's words (the filler's name, the source)
    "drug_powder_per_capsule": _T("Drug powder per capsule", "mg/capsule", "API or tablet powder in one capsule: "
                                  "the powder to weigh ÷ capsules to make"),
    "filler_fill_weight": _T("Filler fill weight used", "mg/capsule", "Filler that fills one capsule of the size: "
                             "the measured fill weight, or the table's estimate"),
    "filler_displaced_per_capsule": _T("Filler displaced per capsule", "mg/capsule", "Filler the drug powder "
                                       "displaces in one capsule (displacement factor × drug powder)"),
    "drug_volume_per_capsule": _T("Volume of drug powder per capsule", "mL", "Drug powder per capsule ÷ its bulk "
                                  "density (density method)"),
    "free_volume_per_capsule": _T("Free volume per capsule", "mL", "Capsule volume − drug powder volume, filled "
                                  "with filler (density method)"),
    "drug_per_capsule_planned": _T("Drug per capsule, planned", "mg/capsule", "Drug per capsule the planned "
                                   "weighings deliver, as % of the strength"),
    "aliquot_stage": _T("Aliquot stage", "mg", "One stage of a powder aliquot (aliquot_stage_1, _2): weigh the "
                        "drug, add diluent, take the aliquot; its value is the drug weighed"),
    "blend_total_actual": _T("Blend total, actual", "mg", "Drug powder + filler the actual weights put in the "
                             "blend"),
    "fill_weight_per_capsule_actual": _T("Fill weight per capsule, actual", "mg/capsule", "Blend total from the "
                                         "actual weights ÷ capsules to make: the weight check's target"),
    "drug_per_capsule_actual": _T("Drug per capsule, actual", "mg/capsule", "Drug per capsule the actual "
                                  "weights deliver, as % of the strength"),
    "aliquot_delivered": _T("Powder delivered", "mg", "Powder the liquid aliquot's measured volume holds "
                            "(the JSON calls it powder_delivered)"),
    "capsules_of_strength": _T("Capsules of a strength", "capsules", "Capsules of one strength a titration "
                               "dispenses (capsules_1.5mg, …: one per dose at that strength)"),
    # the weight check (compounding.qc)
    "target_fill_weight": _T("Target fill weight per capsule", "mg", "The weight check's target (its input "
                             "target): the fill weight each capsule should hold"),
    "lowest_allowed": _T("Lowest acceptable capsule", "mg", "Target × the low capsule weight limit"),
    "highest_allowed": _T("Highest acceptable capsule", "mg", "Target × the high capsule weight limit"),
    "net_weights": _T("Net fill weights", "mg", "Each capsule's gross weight − the empty shell weight"),
    "mean": _T("Mean net fill weight", "mg", "Sum of the net fill weights ÷ capsules weighed"),
    "mean_percent_of_target": _T("Mean as % of target", "%", "Mean net fill weight ÷ target"),
    "sd": _T("Standard deviation", "mg", "Sample standard deviation (n − 1) of the net fill weights"),
    "rsd": _T("Relative standard deviation", "%", "Standard deviation ÷ mean"),
    "maximum": _T("Heaviest capsule", "mg", "The heaviest net fill weight of the capsules weighed"),
    "balance_error_allowed": _T("Largest weighing error allowed", "mg", "The largest weighing error with which "
                                "the balance still tells a capsule inside the limits from one outside"),
    "required": _T("Capsules to weigh", "capsules", "Capsules the QC rule needs weighed"),
    "verdict": _T("Verdict", "", "PASS, FAIL, or INCOMPLETE while fewer capsules than the QC rule needs are "
                  "weighed"),
}
#: what each weighing puts on the balance, in a pharmacist's words
WEIGHING_WORDS = {"drug": "drug powder", "diluent": "diluent, aliquot stage 1", "aliquot": "aliquot of stage 1",
                  "diluent_2": "diluent, aliquot stage 2", "aliquot_2": "aliquot of stage 2",
                  "filler": "filler to add"}
for _k in WEIGHING_KEYS:
    _TABLE.setdefault(_k, _T(_k.replace("_", " ").capitalize(), "mg", f"The {_k.replace('_', ' ')} weighing"))
    _TABLE[f"actual_{_k}"] = _T(f"Actual weight: {WEIGHING_WORDS[_k]}", "mg", f"The {WEIGHING_WORDS[_k]} actually "
                                "weighed; the batch is recalculated from it")
    _TABLE[f"weigh_{_k}"] = _T(f"Weigh: {WEIGHING_WORDS[_k]}", "mg", f"The amount of {WEIGHING_WORDS[_k]} put on "
                               "the balance, rounded to its readability, with its acceptable window")

GLOSSARY: dict[str, Term] = _TABLE

_INDEX = re.compile(r"\[\d+\].*$")
# numbered trace keys: the family's entry (aliquot_stage_2 → aliquot_stage, capsules_1.5mg → capsules_of_strength)
_FAMILIES = ((re.compile(r"aliquot_stage_\d+"), "aliquot_stage"),
             (re.compile(r"capsules_\d+(?:\.\d+)?mg"), "capsules_of_strength"))


def term(key: str) -> Term:
    """The term for a field, result key or trace key (``stages[2].dose`` → ``stages``, ``aliquot_stage_2``
    → ``aliquot_stage``); KeyError when it has none."""
    key = _INDEX.sub("", key)
    for pattern, family in _FAMILIES:
        if pattern.fullmatch(key):
            return GLOSSARY[family]
    return GLOSSARY[key]
