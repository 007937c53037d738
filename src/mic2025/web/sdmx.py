"""The SDMX structure of the platform's SDMX-CSV export, as an SDMX-ML 2.1 structure message.

``GET /api/sdmx/structure`` answers with one message that holds what a client needs to read
``/api/export/sdmx-csv`` (dataflow ``MIC2025:MIC2025_OBS(1.0)``):

* the dataflow ``MIC2025_OBS`` and its data structure definition (DSD) ``MIC2025_OBS``;
* the concept scheme ``CS_MIC2025`` (one concept per component);
* the codelists, generated from the plan and the reference data, never from a list kept
  here: ``CL_INDICATOR`` (every metric of the plan and every series of the context
  catalogue, :func:`mic2025.catalogue.known_series`, names in Chinese and English),
  ``CL_AREA`` (GB/T 2260), ``CL_SECTOR`` (GB/T 4754-2017, plus ``_T`` for all industries),
  ``CL_UNIT`` (the units the plan and the catalogue state, and those the store holds),
  ``CL_OBS_STATUS`` (the observation flags, :data:`mic2025.observation.FLAGS`) and
  ``CL_GRADE`` (the grades of a copy read, :data:`mic2025.citation.GRADES`).

The DSD's dimensions are INDICATOR, REF_AREA, SECTOR, SCOPE, SOURCE and TIME_PERIOD, in the
order of the CSV's columns. SOURCE is a dimension, not an attribute, because the store keeps
one figure per (indicator, area, sector, period, scope, **source**): two sources may publish
figures for the same period, and both are exported. SCOPE and SOURCE are free text (not
coded). The attributes, all attached to the observation, are UNIT_MEASURE (coded,
mandatory), OBS_STATUS (coded; several flags are written ``;``-separated, SDMX 3.0's
multi-value convention, which SDMX-ML 2.1 cannot declare), VINTAGE (the store's vintage id,
an integer), and what the store keeps with each figure: QUOTE (the source's own words) and
COMMENT_OBS (the note; SDMX's cross-domain concept for an observation's comment), both free
text, LOWER_BOUND and UPPER_BOUND (an interval around the value, ``Double``, in the figure's
unit), and the figure's citation (:mod:`mic2025.citation`): PUBLISHER, PUBLICATION (the
primary publication), PUBLICATION_DATE (``GregorianDay``: ``2021-02-28``), LOCATOR (where in
it), RETRIEVED_FROM (the URL of the copy read), all free text but the date, and GRADE (coded,
``CL_GRADE``: the copy's grade); each is empty when the figure has none. SOURCE is the key's
source: the publication (publisher and title) when named, else the copy's URL. Exports from
before the citation carried SOURCE_DATE instead of PUBLICATION_DATE; the importer still reads
it (:mod:`mic2025.ingest.sdmx`). SDMX ids allow only ``A-Z a-z 0-9 _ @ $ -``,
so units are exported by their code (:func:`unit_code`: ``%`` is ``PCT``,
``m3/10k_yuan`` is ``M3_PER_10K_YUAN``); the code's names give the unit as the plan writes it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

from .. import __version__, reference, units
from ..catalogue import known_series
from ..citation import GRADES
from ..i18n import code_label
from ..observation import FLAGS
from ..plan import Plan
from ..sdmx_codes import AGENCY, DATAFLOW_ID, DSD_ID, TOTAL_SECTOR, VERSION, unit_code

CONCEPTS_ID = "CS_MIC2025"
MEDIA_TYPE = "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8"

_NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
}
for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_ID_OK = re.compile(r"^[A-Za-z0-9_@$-]+$")

#: dimension → (codelist id, or None for free text), in the CSV's column order
DIMENSIONS: tuple[tuple[str, str | None], ...] = (
    ("INDICATOR", "CL_INDICATOR"), ("REF_AREA", "CL_AREA"), ("SECTOR", "CL_SECTOR"),
    ("SCOPE", None), ("SOURCE", None),
)
TIME_DIMENSION = "TIME_PERIOD"
#: attribute → (codelist id or None, assignment status, text type of an uncoded one), in the
#: CSV's column order; every attribute is attached to the observation (OBS_VALUE)
ATTRIBUTES: tuple[tuple[str, str | None, str, str], ...] = (
    ("UNIT_MEASURE", "CL_UNIT", "Mandatory", "String"),
    ("OBS_STATUS", "CL_OBS_STATUS", "Conditional", "String"),
    ("VINTAGE", None, "Conditional", "Integer"),
    ("QUOTE", None, "Conditional", "String"),
    ("COMMENT_OBS", None, "Conditional", "String"),
    ("LOWER_BOUND", None, "Conditional", "Double"),
    ("UPPER_BOUND", None, "Conditional", "Double"),
    ("PUBLISHER", None, "Conditional", "String"),
    ("PUBLICATION", None, "Conditional", "String"),
    ("PUBLICATION_DATE", None, "Conditional", "GregorianDay"),
    ("LOCATOR", None, "Conditional", "String"),
    ("RETRIEVED_FROM", None, "Conditional", "String"),
    ("GRADE", "CL_GRADE", "Conditional", "String"),
)
CONCEPT_NAMES: dict[str, tuple[str, str]] = {
    "INDICATOR": ("指标", "Indicator"),
    "REF_AREA": ("地区（GB/T 2260）", "Reference area (GB/T 2260)"),
    "SECTOR": ("行业（GB/T 4754-2017）", "Sector (GB/T 4754-2017)"),
    "SCOPE": ("统计口径", "Statistical scope"),
    "SOURCE": ("资料来源", "Source"),
    "TIME_PERIOD": ("时期", "Time period"),
    "OBS_VALUE": ("观测值", "Observation value"),
    "UNIT_MEASURE": ("计量单位", "Unit of measure"),
    "OBS_STATUS": ("观测值标记", "Observation status (flags)"),
    "VINTAGE": ("数据批次", "Vintage (store batch)"),
    "QUOTE": ("原文", "Quote (the source's own words with the figure)"),
    "COMMENT_OBS": ("备注", "Observation comment (note)"),
    "LOWER_BOUND": ("下限", "Lower bound"),
    "UPPER_BOUND": ("上限", "Upper bound"),
    "PUBLISHER": ("发布机构", "Publisher (the body that first published the figure)"),
    "PUBLICATION": ("出版物", "Publication (the primary document)"),
    "PUBLICATION_DATE": ("发布日期", "Publication date"),
    "LOCATOR": ("位置", "Locator (table or paragraph in the publication)"),
    "RETRIEVED_FROM": ("转引自", "Retrieved from (URL of the copy read)"),
    "GRADE": ("转载等级", "Grade of the copy read"),
}


def unit_names(unit: str) -> tuple[str, str]:
    zh, en = code_label("unit", unit, "zh"), code_label("unit", unit, "en")
    ch = units.change(unit) if unit else None
    if zh == unit and ch is not None and ch.base_year is not None:
        kind = unit.split("vs:")[0]
        what = {"%": ("变化%", "% change on"), "decline%": ("下降%", "% decline on"),
                "pp_": ("变化（百分点）", "pp change on")}.get(kind, (unit, unit))
        zh, en = f"比{ch.base_year}年{what[0]}", f"{what[1]} {ch.base_year}"
    return zh, en


def plan_units(plan: Plan) -> set[str]:
    """Every unit the plan and the series catalogue state (metric units and accepted units)."""
    out: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "unit" and isinstance(v, str):
                    out.add(v)
                elif k == "units" and isinstance(v, list):
                    out.update(u for u in v if isinstance(u, str))
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(plan.model_dump(mode="json"))
    for m in known_series(plan).values():
        walk(m.model_dump(mode="json"))
    return out


CodeRow = tuple[str, str, str, str | None]


def codelists(plan: Plan, store_units: Iterable[str] = ()) -> dict[str, list[CodeRow]]:
    """Codelist id → [(code, name zh, name en, parent)], from the plan and reference data."""
    indicators: list[CodeRow] = [
        (m.id, m.name.zh, m.name.en, None)
        for m in sorted(known_series(plan).values(), key=lambda m: m.id)]
    areas: list[CodeRow] = [(c.code, c.name_zh, c.name_en, None)
                            for c in reference.areas().values()]
    inds = reference.industries()
    sectors: list[CodeRow] = [(TOTAL_SECTOR, "全部行业", "All industries", None)]
    sectors += [(c.code, c.name_zh, c.name_en, c.parent if c.parent in inds else None)
                for c in inds.values()]
    by_code: dict[str, CodeRow] = {}
    for u in sorted(plan_units(plan) | set(store_units)):
        zh, en = unit_names(u)
        code = unit_code(u)
        if code in by_code and by_code[code][1:] != (zh, en):
            zh, en = f"{by_code[code][1]}；{zh}", f"{by_code[code][2]}; {en}"
        by_code[code] = (code, zh if zh != u else u, en if en != u else u, None)
    flags: list[CodeRow] = [(f, code_label("flag", f, "zh"), code_label("flag", f, "en"), None)
             for f in sorted(FLAGS)]
    grades: list[CodeRow] = [(g, code_label("grade", g, "zh"), code_label("grade", g, "en"),
                              None) for g in GRADES]
    return {"CL_INDICATOR": indicators, "CL_AREA": areas, "CL_SECTOR": sectors,
            "CL_UNIT": sorted(by_code.values()), "CL_OBS_STATUS": flags, "CL_GRADE": grades}


_CODELIST_NAMES = {
    "CL_INDICATOR": ("《中国制造2025》指标及背景序列", "Made in China 2025 indicators and context "
                                                  "series"),
    "CL_AREA": ("行政区划代码（GB/T 2260）", "Administrative areas (GB/T 2260)"),
    "CL_SECTOR": ("国民经济行业分类（GB/T 4754-2017）", "Industries (GB/T 4754-2017)"),
    "CL_UNIT": ("计量单位", "Units of measure"),
    "CL_OBS_STATUS": ("观测值标记", "Observation flags"),
    "CL_GRADE": ("转载等级", "Grades of the copy read"),
}


def _el(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    prefix, _, local = tag.partition(":")
    name = f"{{{_NS[prefix]}}}{local}" if local else tag
    return ET.SubElement(parent, name, attrs)


def _names(parent: ET.Element, zh: str, en: str) -> None:
    for lang, text in (("en", en), ("zh", zh)):
        _el(parent, "com:Name", **{_XML_LANG: lang}).text = text


def _urn(cls: str, ident: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.{cls}={AGENCY}:{ident}({VERSION})"


def _ref(parent: ET.Element, ident: str, cls: str, package: str,
         scheme: str | None = None) -> None:
    attrs = {"id": ident, "agencyID": AGENCY, "class": cls, "package": package}
    if scheme is None:
        attrs["version"] = VERSION
    else:
        attrs["maintainableParentID"] = scheme
        attrs["maintainableParentVersion"] = VERSION
    ET.SubElement(parent, "Ref", attrs)


def _component(parent: ET.Element, tag: str, ident: str, codelist: str | None,
               text_type: str = "String", **attrs: str) -> ET.Element:
    comp = _el(parent, tag, id=ident, **attrs)
    _ref(_el(comp, "str:ConceptIdentity"), ident, "Concept", "conceptscheme", CONCEPTS_ID)
    rep = _el(comp, "str:LocalRepresentation")
    if codelist:
        _ref(_el(rep, "str:Enumeration"), codelist, "Codelist", "codelist")
    else:
        _el(rep, "str:TextFormat", textType=text_type)
    return comp


def structure_message(plan: Plan, store_units: Iterable[str] = (), *,
                      prepared: datetime | None = None) -> bytes:
    """The SDMX-ML 2.1 structure message (dataflow, DSD, concepts and codelists)."""
    root = ET.Element(f"{{{_NS['mes']}}}Structure")
    header = _el(root, "mes:Header")
    _el(header, "mes:ID").text = f"MIC2025_STRUCTURE_{plan.id}".upper().replace("-", "_")
    _el(header, "mes:Test").text = "false"
    when = (prepared or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    _el(header, "mes:Prepared").text = when.isoformat().replace("+00:00", "Z")
    _el(header, "mes:Sender", id=AGENCY)
    structures = _el(root, "mes:Structures")

    flows = _el(structures, "str:Dataflows")
    flow = _el(flows, "str:Dataflow", id=DATAFLOW_ID, agencyID=AGENCY, version=VERSION,
               isFinal="false", urn=_urn("datastructure.Dataflow", DATAFLOW_ID))
    _names(flow, f"{plan.title.zh}监测数据", f"{plan.title.en}: monitoring data")
    _ref(_el(flow, "str:Structure"), DSD_ID, "DataStructure", "datastructure")

    lists = _el(structures, "str:Codelists")
    for cl_id, codes in codelists(plan, store_units).items():
        cl = _el(lists, "str:Codelist", id=cl_id, agencyID=AGENCY, version=VERSION,
                 isFinal="false", urn=_urn("codelist.Codelist", cl_id))
        _names(cl, *_CODELIST_NAMES[cl_id])
        for code, zh, en, parent in codes:
            if not _ID_OK.match(code):
                raise ValueError(f"{cl_id}: {code!r} is not a valid SDMX id")
            c = _el(cl, "str:Code", id=code,
                    urn=f"urn:sdmx:org.sdmx.infomodel.codelist.Code={AGENCY}:{cl_id}"
                        f"({VERSION}).{code}")
            _names(c, zh, en)
            if parent:
                _el(_el(c, "str:Parent"), "Ref", id=parent)

    concepts = _el(structures, "str:Concepts")
    cs = _el(concepts, "str:ConceptScheme", id=CONCEPTS_ID, agencyID=AGENCY, version=VERSION,
             isFinal="false", urn=_urn("conceptscheme.ConceptScheme", CONCEPTS_ID))
    _names(cs, "mic2025概念", "mic2025 concepts")
    for cid, (zh, en) in CONCEPT_NAMES.items():
        c = _el(cs, "str:Concept", id=cid,
                urn=f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:"
                    f"{CONCEPTS_ID}({VERSION}).{cid}")
        _names(c, zh, en)

    dsds = _el(structures, "str:DataStructures")
    dsd = _el(dsds, "str:DataStructure", id=DSD_ID, agencyID=AGENCY, version=VERSION,
              isFinal="false", urn=_urn("datastructure.DataStructure", DSD_ID))
    _names(dsd, f"{plan.title.zh}观测值（mic2025 {__version__}）",
           f"{plan.title.en} observations (mic2025 {__version__})")
    comps = _el(dsd, "str:DataStructureComponents")
    dims = _el(comps, "str:DimensionList", id="DimensionDescriptor")
    for pos, (dim, dim_list) in enumerate(DIMENSIONS, start=1):
        _component(dims, "str:Dimension", dim, dim_list, position=str(pos))
    _component(dims, "str:TimeDimension", TIME_DIMENSION, None,
               text_type="ObservationalTimePeriod", position=str(len(DIMENSIONS) + 1))
    attrs = _el(comps, "str:AttributeList", id="AttributeDescriptor")
    for att, att_list, status, text_type in ATTRIBUTES:
        a = _component(attrs, "str:Attribute", att, att_list, text_type=text_type,
                       assignmentStatus=status)
        rel = _el(a, "str:AttributeRelationship")
        ET.SubElement(_el(rel, "str:PrimaryMeasure"), "Ref", id="OBS_VALUE")
    measures = _el(comps, "str:MeasureList", id="MeasureDescriptor")
    _component(measures, "str:PrimaryMeasure", "OBS_VALUE", None, text_type="Double")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
