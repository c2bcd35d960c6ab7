"""A synthetic lead export shaped like public online-course lead data sets: identifiers, many
sparse categorical answers with "Select" placeholders and blanks, skewed activity counts, columns
written after the sales contact that leak the outcome, and a non-linear truth with interactions.

    python -m services.scoring.predictive.synthetic --rows 9000 --out leads.csv
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

ORIGINS = {"Landing Page Submission": 0.53, "API": 0.39, "Lead Add Form": 0.07, "Lead Import": 0.01}
SOURCES = {
    "Google": 0.31,
    "Direct Traffic": 0.28,
    "Olark Chat": 0.19,
    "Organic Search": 0.12,
    "Reference": 0.055,
    "Welingak Website": 0.015,
    "Referral Sites": 0.013,
    "Facebook": 0.006,
    "": 0.004,
    "bing": 0.002,
    "Click2call": 0.001,
    "Live Chat": 0.001,
    "Social Media": 0.001,
    "WeLearn": 0.001,
}
ACTIVITIES = {
    "Email Opened": 0.37,
    "SMS Sent": 0.30,
    "Olark Chat Conversation": 0.105,
    "Page Visited on Website": 0.07,
    "Converted to Lead": 0.046,
    "Email Bounced": 0.035,
    "Email Link Clicked": 0.029,
    "": 0.011,
    "Form Submitted on Website": 0.0125,
    "Unreachable": 0.01,
    "Unsubscribed": 0.0066,
    "Had a Phone Conversation": 0.003,
}
OCCUPATIONS = {
    "Unemployed": 0.61,
    "": 0.29,
    "Working Professional": 0.077,
    "Student": 0.023,
    "Other": 0.002,
    "Housewife": 0.001,
    "Businessman": 0.001,
}
SPECIALIZATIONS = [
    "Finance Management",
    "Human Resource Management",
    "Marketing Management",
    "Operations Management",
    "Business Administration",
    "IT Projects Management",
    "Supply Chain Management",
    "Banking, Investment And Insurance",
    "Media and Advertising",
    "Travel and Tourism",
    "International Business",
    "Healthcare Management",
    "E-COMMERCE",
    "Hospitality Management",
    "Retail Management",
    "Rural and Agribusiness",
    "E-Business",
]
CITIES = {
    "Mumbai": 0.35,
    "Select": 0.24,
    "": 0.15,
    "Thane & Outskirts": 0.08,
    "Other Cities": 0.075,
    "Other Cities of Maharashtra": 0.05,
    "Other Metro Cities": 0.04,
    "Tier II Cities": 0.015,
}
EFFECTS = {
    "origin": {"Lead Add Form": 2.6, "Lead Import": -0.6, "API": -0.3},
    "source": {"Reference": 1.4, "Welingak Website": 2.6, "Olark Chat": -0.5, "Direct Traffic": -0.2},
    "activity": {
        "SMS Sent": 1.2,
        "Olark Chat Conversation": -1.1,
        "Email Bounced": -1.2,
        "Converted to Lead": -0.9,
        "Email Opened": 0.3,
        "Had a Phone Conversation": 2.0,
        "Unreachable": -0.3,
        "Page Visited on Website": -0.2,
    },
    "occupation": {
        "Working Professional": 2.4,
        "": -0.9,
        "Student": -0.2,
        "Housewife": 2.5,
        "Businessman": 0.8,
    },
}
HEADER = [
    "Prospect ID",
    "Lead Number",
    "Lead Origin",
    "Lead Source",
    "Do Not Email",
    "Do Not Call",
    "Converted",
    "TotalVisits",
    "Total Time Spent on Website",
    "Page Views Per Visit",
    "Last Activity",
    "Country",
    "Specialization",
    "How did you hear about X Education",
    "What is your current occupation",
    "What matters most to you in choosing a course",
    "Search",
    "Magazine",
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "City",
    "Asymmetrique Activity Index",
    "Asymmetrique Activity Score",
    "A free copy of Mastering The Interview",
    "Last Notable Activity",
]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class _Drawn:
    origin: str
    source: str
    activity: str
    occupation: str
    visits: int
    seconds: int
    specialization: str
    do_not_email: str


def _draw(rng: random.Random) -> _Drawn:
    origin, source = _pick(rng, ORIGINS), _pick(rng, SOURCES)
    if origin == "Lead Add Form":
        source = rng.choice(["Reference", "Welingak Website", "Reference", "Google"])
    activity, occupation = _pick(rng, ACTIVITIES), _pick(rng, OCCUPATIONS)
    no_visit = origin in ("Lead Add Form", "Lead Import") or (source == "Olark Chat" and rng.random() < 0.8)
    visits = 0 if no_visit else 1 + int(rng.expovariate(1 / 3.2))
    seconds = 0 if visits == 0 or rng.random() < 0.05 else int(rng.lognormvariate(5.9, 0.9))
    specialization = rng.choice([*SPECIALIZATIONS, "Select", "Select", "Select", "Select", ""])
    do_not_email = "Yes" if rng.random() < 0.08 else "No"
    return _Drawn(origin, source, activity, occupation, visits, seconds, specialization, do_not_email)


def _probability(d: _Drawn, interactions: bool) -> float:
    seconds = d.seconds
    logit = -1.75 + 2.3 * math.tanh(seconds / 700) - 0.5 * (seconds == 0)
    logit += 0.12 * min(d.visits, 8) - 0.08 * max(d.visits - 8, 0)
    for effect, value in (
        ("origin", d.origin),
        ("source", d.source),
        ("activity", d.activity),
        ("occupation", d.occupation),
    ):
        logit += EFFECTS[effect].get(value, 0.0)
    logit += -1.0 * (d.do_not_email == "Yes") + 0.5 * (
        d.specialization in ("Healthcare Management", "Banking, Investment And Insurance")
    )
    logit += 0.7 * (d.origin == "Landing Page Submission" and d.activity == "SMS Sent" and seconds > 900)
    logit += -0.8 * (d.occupation == "Unemployed" and d.activity == "Email Opened" and seconds < 300)
    logit += 1.0 * (d.origin == "API" and seconds > 1000) - 1.2 * (
        d.source == "Olark Chat" and d.occupation == ""
    )
    if interactions:
        logit += 1.8 * math.tanh((seconds - 800) / 200) * (d.origin == "API")
        logit += (0.9 if seconds > 500 else -0.9) * (
            d.occupation == "Unemployed" and d.activity in ("SMS Sent", "Email Opened")
        )
        logit -= 0.8 * (d.source == "Google" and d.specialization in ("Select", ""))
    return 1 / (1 + math.exp(-logit))


def lead(rng: random.Random, number: int, interactions: bool = False) -> tuple[dict[str, object], float]:
    """One lead's row, and the true probability it converts (what no model can beat). With
    `interactions`, strong ones an additive model cannot fit: trees then beat a linear model."""
    drawn = _draw(rng)
    probability = _probability(drawn, interactions)
    return _row(rng, number, drawn, converted=rng.random() < probability), probability


def _row(rng: random.Random, number: int, d: _Drawn, *, converted: bool) -> dict[str, object]:
    origin, source, activity, occupation = d.origin, d.source, d.activity, d.occupation
    visits, seconds, specialization, do_not_email = d.visits, d.seconds, d.specialization, d.do_not_email
    tags = (
        rng.choice(["Will revert after reading the email", "Closed by Horizzon", "Lost to EINS", ""])
        if converted
        else rng.choice(
            ["Ringing", "Interested in other courses", "Already a student", "", "", "switched off"]
        )
    )
    quality = rng.choice(
        ["High in Relevance", "Might be", ""]
        if converted
        else ["Worst", "Not Sure", "Low in Relevance", "", ""]
    )
    index = rng.choice(["01.High", "02.Medium", "03.Low", ""])
    return {
        "Prospect ID": str(uuid.UUID(int=rng.getrandbits(128))),
        "Lead Number": 580_000 + number,
        "Lead Origin": origin,
        "Lead Source": source,
        "Do Not Email": do_not_email,
        "Do Not Call": "No",
        "Converted": int(converted),
        "TotalVisits": "" if rng.random() < 0.015 else visits,
        "Total Time Spent on Website": seconds,
        "Page Views Per Visit": ""
        if visits == 0 and rng.random() < 0.1
        else round(visits and rng.uniform(1, 5), 2),
        "Last Activity": activity,
        "Country": "India" if rng.random() < 0.7 else rng.choice(["", "", "United States", "Singapore"]),
        "Specialization": specialization,
        "How did you hear about X Education": rng.choice(
            ["Select"] * 5 + [""] * 2 + ["Online Search", "Word Of Mouth"]
        ),
        "What is your current occupation": occupation,
        "What matters most to you in choosing a course": ""
        if occupation == ""
        else "Better Career Prospects",
        "Search": "Yes" if rng.random() < 0.002 else "No",
        "Magazine": "No",
        "Tags": tags,
        "Lead Quality": quality,
        "Lead Profile": rng.choice(["Select", "Select", "", "Potential Lead", "Other Leads"]),
        "City": _pick(rng, CITIES),
        "Asymmetrique Activity Index": index,
        "Asymmetrique Activity Score": "" if not index else rng.randint(7, 18),
        "A free copy of Mastering The Interview": rng.choice(["No", "No", "Yes"]),
        "Last Notable Activity": activity if activity in ("SMS Sent", "Email Opened") else "Modified",
    }


def write(path: Path, rows: int, seed: int = 7, interactions: bool = False) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        for number in rng.sample(range(rows * 2), rows):
            writer.writerow(lead(rng, number, interactions)[0])
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--interactions", action="store_true", help="add interactions only trees can fit")
    args = parser.parse_args()
    print(write(args.out, args.rows, args.seed, args.interactions))
