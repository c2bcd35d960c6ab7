"""Where an account sits, as pools and reps describe territories: its country, the country's
region and the size segment of its head count."""

from __future__ import annotations

from dataclasses import dataclass

# Regions by ISO 3166 alpha-2 code, as sales teams commonly split the world.
_REGIONS = {
    "amer": "US CA MX BR AR CL CO PE VE EC BO PY UY GT HN SV NI CR PA CU DO HT JM TT BS BB PR",
    "emea": (
        "GB IE FR DE AT CH NL BE LU DK NO SE FI IS ES PT IT MT GR CY PL CZ SK HU RO BG SI HR RS BA"
        " ME MK AL EE LV LT UA BY MD TR IL AE SA QA KW BH OM JO LB EG MA DZ TN ZA NG KE GH ET TZ UG"
        " CI SN CM AO RU"
    ),
    "apac": "JP CN HK TW KR SG MY TH VN PH ID IN PK BD LK NP AU NZ",
}
REGIONS = tuple(_REGIONS)
REGION_OF = {code: region for region, codes in _REGIONS.items() for code in codes.split()}
SEGMENTS = ("smb", "mid_market", "enterprise")
MID_MARKET, ENTERPRISE = 100, 1000  # head count where a segment starts


@dataclass(frozen=True)
class Place:
    country: str | None = None
    region: str | None = None
    segment: str | None = None

    @classmethod
    def of(cls, country: str | None, employees: int | None) -> Place:
        code = country.upper() if country else None
        return cls(code, REGION_OF.get(code or ""), segment_of(employees))

    def describe(self) -> str:
        unknown = "unknown"
        return (
            f"country {self.country or unknown}, region {self.region or unknown},"
            f" segment {self.segment or unknown}"
        )


def segment_of(employees: int | None) -> str | None:
    if employees is None:
        return None
    return "enterprise" if employees >= ENTERPRISE else "mid_market" if employees >= MID_MARKET else "smb"


@dataclass(frozen=True)
class Territory:
    """Empty on an axis: any value there (a catch-all pool names nothing at all)."""

    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def covers(self, place: Place) -> bool:
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.countries, place.country),
                (self.regions, place.region),
                (self.segments, place.segment),
            )
        )

    @property
    def specificity(self) -> tuple[int, int, int]:
        """A country beats a region; either with a segment beats it without one."""
        return (bool(self.countries), bool(self.regions), bool(self.segments))
