"""The hotel chain: hotels, guests, stays, loyalty tiers, and the ABC pyramid of guests.

What the data must teach (hotel database marketing and the ABC pyramid, textbook seed 003) is
planted here: guests differ a lot (a few frequent, mostly business, guests bring most room
revenue; a long tail stays once), business travellers stay short, on weekdays, more often and at
higher rates, some guests stop coming, and loyalty tiers follow nights. Every rate lives in
``hotel.json`` beside this file, with its source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator import population
from generator.blocks import Block
from generator.calendar import day_weights, sample_days
from generator.context import Context
from generator.registry import Industry, load_spec
from generator.schema import Column, Schema, Table
from generator.streams import choose, cumulative, stream

SPEC = load_spec(__file__)  # checked against spec.schema.json and hotel.schema.json
CHAIN = SPEC["chain"]
CLASSES = tuple(CHAIN["classes"])
PURPOSES = ("business", "leisure")  # codes 0 and 1
BY_PURPOSE = [SPEC["purposes"][name] for name in PURPOSES]
ROOM_TYPES = tuple(SPEC["room_types"])
CHANNELS = tuple(SPEC["purposes"]["business"]["channels"])
TIERS = tuple(SPEC["loyalty_tiers"])
VALUE_TIERS = ("A", "B", "C", "D")
SEGMENTS = tuple(SPEC["population"]["traits"]["segments"])
STAY_NUMBERS = 10_000  # a stay number is the guest number followed by four digits
BLOCK_SIZE = 5_000  # guests per block: about 25,000 stays, seen and future

C = Column
_GUEST = C("guest_id", "int", "Guest", "宾客编号", references="guests.guest_id")
_HOTEL = C("hotel_id", "int", "Hotel", "酒店编号", references="hotels.hotel_id")


def _stay_columns(when: str) -> tuple[Column, ...]:
    return (
        C("stay_id", "int", "Stay (reservation) number", "入住编号"),
        _GUEST,
        _HOTEL,
        C("booked_on", "date", "Date the room was booked", "预订日期"),
        C("arrival", "date", f"Arrival date{when}", "入住日期"),
        C("nights", "int", "Nights stayed", "间夜数", check="nights > 0", unit="nights"),
        C("room_type", "category", "Room type", "房型", values=ROOM_TYPES),
        C("channel", "category", "How the room was booked", "预订渠道", values=CHANNELS),
        C("purpose", "category", "Market segment of the rate", "出行目的", values=PURPOSES),
        C("rate", "money", "Room rate per night", "房价", check="rate > 0", unit="currency"),
        C("revenue", "money", "Room revenue: rate × nights", "客房收入", unit="currency"),
    )


SCHEMA = Schema(
    industry="hotel",
    title=SPEC["title"],
    notes=tuple(SPEC["sources"]),
    tables=(
        Table(
            "hotels",
            "The chain's hotels",
            "酒店",
            (
                C("hotel_id", "int", "Hotel number", "酒店编号"),
                C("name", "str", "Hotel name", "酒店名称"),
                C("city", "str", "City", "城市"),
                C("region", "str", "State or province", "州/省"),
                C("class", "category", "Hotel class", "酒店档次", values=CLASSES),
                C("rooms", "int", "Rooms", "客房数", check="rooms > 0"),
            ),
            key=("hotel_id",),
        ),
        Table(
            "guests",
            "Guests: loyalty members and the guests whose profiles the hotels created",
            "宾客",
            population.person_columns(
                SPEC["population"],
                C("guest_id", "int", "Guest profile number", "宾客编号"),
                registered=("Date the guest profile was created", "建档日期"),
            ),
            key=("guest_id",),
            indexes=("postcode",),
        ),
        Table(
            "stays", "Stays: one row per reservation", "入住记录", _stay_columns(""), ("stay_id",)
        ),
        Table(
            "loyalty_accounts",
            "Each guest's loyalty tier on the as-of date, from the nights of the last 12 months",
            "会员等级",
            (
                _GUEST,
                C("tier", "category", "Loyalty tier", "会员等级", values=TIERS),
                C("qualifying_nights", "int", "Nights of stays arriving in the year", "间夜数"),
                C("qualifying_stays", "int", "Stays arriving in the 12 months", "入住次数"),
            ),
            key=("guest_id",),
        ),
        Table(
            "guest_truth",
            "Latent traits behind each guest's stays, and their true place in the ABC pyramid",
            "宾客真实特征",
            (
                _GUEST,
                C("segment", "category", "Latent segment", "潜在细分", values=SEGMENTS),
                C("activity", "float", "Stays a year at the chain, while a guest", "活跃度"),
                C("spend", "float", "Rate level: multiplier of the rates paid", "消费力"),
                C("business_share", "float", "Share of the stays that are business", "商务比例"),
                C("stop_hazard", "float", "Monthly probability of leaving for good", "流失风险"),
                C(
                    "stopped_on",
                    "date",
                    "Date the guest stopped coming (by the as-of date)",
                    "流失日期",
                    nullable=True,
                ),
                C("expected_nights", "float", "Expected nights a year, while a guest", "年间夜"),
                C(
                    "value_tier",
                    "category",
                    "True ABC tier on the as-of date: A VIP, B main, C "
                    "ordinary, D small (stopped guests are D)",
                    "顾客价值等级",
                    values=VALUE_TIERS,
                ),
            ),
            key=("guest_id",),
            truth=True,
        ),
        *population.future_tables(
            _GUEST,
            (
                C("stays", "int", "Stays arriving in the hidden future", "未来入住次数"),
                C("nights", "int", "Nights of those stays", "未来间夜数"),
                C("revenue", "money", "Their room revenue", "未来客房收入", unit="currency"),
            ),
        ),
        Table(
            "future_stays",
            "Stays of the hidden future (arriving in the 12 months after the as-of date)",
            "未来入住记录",
            _stay_columns(" (after the as-of date)"),
            key=("stay_id",),
            truth=True,
        ),
    ),
)


# ---------------------------------------------------------------- the hotels


def reference(build: Context) -> dict[str, pd.DataFrame]:
    """The chain's hotels, in the locale's biggest cities (the same whatever the guests)."""
    locale = build.locale
    rng = stream(build.seed, "hotel.hotels")
    geo = locale.geography.groupby([locale.region_column, "city"], observed=True)["weight"].sum()
    geo = geo.sort_values(ascending=False, kind="stable").head(CHAIN["cities"])
    n = CHAIN["hotels"][locale.code]
    where = rng.choice(len(geo), size=n, p=(geo / geo.sum()).to_numpy())
    region, city = (np.array(level, dtype=object)[where] for level in zip(*geo.index, strict=True))
    kind = choose(rng, cumulative(list(CHAIN["classes"].values())), n)
    low, high = np.array([CHAIN["rooms"][c] for c in CLASSES]).T
    rooms = rng.integers(low[kind], high[kind] + 1)
    label = [CHAIN["class_names"][locale.code][CLASSES[k]] for k in kind]
    pattern = CHAIN["hotel_name"][locale.code]  # "{label} {city}"...
    names = [pattern.format(label=lab, city=c) for lab, c in zip(label, city, strict=True)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):  # a second hotel of a name in a city gets a number
        seen[name] = seen.get(name, 0) + 1
        names[i] = name if seen[name] == 1 else f"{name} {seen[name]}"
    hotels = pd.DataFrame(
        {
            "hotel_id": np.arange(1, n + 1),
            "name": names,
            "city": city,
            "region": region,
            "class": pd.Categorical.from_codes(kind, categories=list(CLASSES)),
            "rooms": rooms,
        }
    )
    return {"hotels": hotels}


# ---------------------------------------------------------------- one block of guests


class HotelBlock(Block):
    industry = "hotel"

    def __init__(self, *args):
        super().__init__(*args)
        window, p = self.window, self.people
        self.seen = len(window.days)  # day numbers from here on are the hidden future
        self.total = len(window.all_days)
        start = window.start
        registered = p["registered_on"]
        self.first = (np.maximum(registered, start) - start).dt.days.to_numpy()
        self.joined_in_window = (registered >= start).to_numpy()
        leaves = p["truth_leaves_on"].fillna(window.end + pd.Timedelta(days=1))
        self.last = np.minimum(
            (leaves - pd.Timedelta(days=1) - start).dt.days.to_numpy(), self.total - 1
        )
        segment = p["truth_segment"].cat.codes.to_numpy()
        self.business = np.array([SPEC["business_share"][s] for s in SEGMENTS])[segment]
        self.activity = p["truth_activity"].to_numpy()
        self.spend = p["truth_spend"].to_numpy()
        purposes = BY_PURPOSE
        self.cum = [
            np.concatenate(
                [[0.0], np.cumsum(day_weights(window, self.locale, s["calendar"], future=True))]
            )
            for s in purposes
        ]
        hotels = self.ref["hotels"]
        self.hotel_class = hotels["class"].cat.codes.to_numpy()
        rooms = hotels["rooms"].to_numpy(float)
        self.hotel_cdf = [
            cumulative(rooms * np.array(list(s["classes"].values()))[self.hotel_class])
            for s in purposes
        ]

    def _stays(self) -> dict[str, np.ndarray]:
        """Every stay of the block, seen and future, sorted by guest and arrival: a Poisson
        number at the guest's rate while a guest, plus the stay that created the profile of a
        guest who joined in the window; a stay that would overlap the guest's previous one is
        not made."""
        rng, n = self.rng("stays"), self.n
        alive = self.last >= self.first
        years = np.where(alive, self.last - self.first + 1, 0) / 365.25
        who = np.repeat(np.arange(n), rng.poisson(self.activity * years))
        joined = np.flatnonzero(self.joined_in_window & alive)  # the stay that made the profile
        who = np.concatenate([joined, who])
        business = rng.random(len(who)) < self.business[who]
        day = np.zeros(len(who), np.int64)
        for code, cum in enumerate(self.cum):
            rows = np.flatnonzero(business == (code == 0))
            day[rows] = sample_days(rng, cum, self.first[who[rows]], self.last[who[rows]])
        day[: len(joined)] = self.first[joined]
        purpose = np.where(business, 0, 1)
        mean = np.array([s["mean_nights"] for s in BY_PURPOSE])[purpose]
        nights = np.minimum(rng.geometric(1 / mean), SPEC["max_nights"])
        order = np.lexsort((np.arange(len(who)), day, who))
        who, day, nights, purpose = who[order], day[order], nights[order], purpose[order]
        # no stay begins before the guest's previous stays have ended
        stride = self.total + 64
        departs = np.maximum.accumulate(who * stride + day + nights)
        keep = np.ones(len(who), bool)
        keep[1:] = who[1:] * stride + day[1:] >= departs[:-1]
        who, day, nights, purpose = who[keep], day[keep], nights[keep], purpose[keep]
        return {"who": who, "day": day, "nights": nights, "purpose": purpose}

    def _details(self, s: dict[str, np.ndarray]) -> pd.DataFrame:
        """Hotel, room, channel, lead time and rate of each stay."""
        rng, m = self.rng("details"), len(s["who"])
        purposes = BY_PURPOSE
        favourite = choose(rng, self.hotel_cdf[0], self.n)  # each guest's usual hotel
        favourite = np.where(self.business > 0.5, favourite, choose(rng, self.hotel_cdf[1], self.n))
        hotel = favourite[s["who"]]
        room, channel = np.zeros(m, np.int64), np.zeros(m, np.int64)
        lead = np.zeros(m)
        elsewhere = rng.random(m) >= SPEC["favourite_hotel_share"]
        for code, spec in enumerate(purposes):
            rows = np.flatnonzero(s["purpose"] == code)
            other = rows[elsewhere[rows]]
            hotel[other] = choose(rng, self.hotel_cdf[code], len(other))
            room[rows] = choose(rng, cumulative(list(spec["room_types"].values())), len(rows))
            channel[rows] = choose(rng, cumulative(list(spec["channels"].values())), len(rows))
            median, sigma = spec["lead_days"]
            lead[rows] = rng.lognormal(np.log(median), sigma, len(rows))
        start = np.datetime64(self.window.start.date(), "D")
        arrival = start + s["day"]
        currency = self.locale.currency
        adr = np.array([CHAIN["adr"][currency][c] for c in CLASSES])[self.hotel_class[hotel]]
        rate = (
            adr
            * np.array(list(SPEC["room_types"].values()))[room]
            * np.array([p["rate_factor"] for p in purposes])[s["purpose"]]
            * np.array(SPEC["rate_season"])[pd.DatetimeIndex(arrival).month - 1]
            * self.spend[s["who"]]
            * rng.lognormal(0, SPEC["rate_spread"], m)
        )
        rate = np.maximum(rate.round(CHAIN["rate_decimals"][currency]), 1.0)
        guest = self.ids[s["who"]]
        sequence = np.arange(m) - np.searchsorted(s["who"], s["who"])  # the guest's n-th stay
        return pd.DataFrame(
            {
                "stay_id": guest * STAY_NUMBERS + sequence + 1,
                "guest_id": guest,
                "hotel_id": self.ref["hotels"]["hotel_id"].to_numpy()[hotel],
                "booked_on": arrival - np.round(lead).astype("timedelta64[D]"),
                "arrival": arrival,
                "nights": s["nights"],
                "room_type": pd.Categorical.from_codes(room, categories=list(ROOM_TYPES)),
                "channel": pd.Categorical.from_codes(channel, categories=list(CHANNELS)),
                "purpose": pd.Categorical.from_codes(s["purpose"], categories=list(PURPOSES)),
                "rate": rate,
                "revenue": (rate * s["nights"]).round(2),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        s = self._stays()
        stays = self._details(s)
        seen = s["day"] < self.seen
        return {
            "guests": self.people.rename(columns={"customer_id": "guest_id"}),
            "stays": stays[seen].reset_index(drop=True),
            "loyalty_accounts": self._loyalty(s),
            "guest_truth": self._truth(),
            "future_customers": self._future(s, stays[~seen]),
            "future_stays": stays[~seen].reset_index(drop=True),
        }

    def _loyalty(self, s: dict[str, np.ndarray]) -> pd.DataFrame:
        """Tiers by the nights of the stays arriving in the 12 months up to the as-of date."""
        year = (s["day"] < self.seen) & (s["day"] >= self.seen - 365)
        nights = np.bincount(s["who"][year], weights=s["nights"][year], minlength=self.n)
        thresholds = np.array(list(SPEC["loyalty_tiers"].values()))
        tier = np.searchsorted(thresholds, nights, side="right") - 1
        return pd.DataFrame(
            {
                "guest_id": self.ids,
                "tier": pd.Categorical.from_codes(tier, categories=list(TIERS)),
                "qualifying_nights": nights.astype(np.int64),
                "qualifying_stays": np.bincount(s["who"][year], minlength=self.n),
            }
        )

    def _truth(self) -> pd.DataFrame:
        """The guests' traits and their true ABC tier: expected nights a year times their rate
        level, nothing for a guest who had stopped coming by the as-of date."""
        p, purposes = self.people, BY_PURPOSE
        b = self.business
        nights = self.activity * (
            b * purposes[0]["mean_nights"] + (1 - b) * purposes[1]["mean_nights"]
        )
        level = self.spend * (b * purposes[0]["rate_factor"] + (1 - b) * purposes[1]["rate_factor"])
        value = np.where(p["truth_stopped_on"].isna(), nights * level, 0.0)
        floors = np.array(list(SPEC["value_tiers"].values()))  # A, B, C
        tier = (value < floors[:, None]).sum(axis=0)  # 0: A ... 3: D
        return pd.DataFrame(
            {
                "guest_id": self.ids,
                "segment": p["truth_segment"],
                "activity": self.activity,
                "spend": self.spend,
                "business_share": b,
                "stop_hazard": p["truth_stop_hazard"],
                "stopped_on": p["truth_stopped_on"],
                "expected_nights": nights,
                "value_tier": pd.Categorical.from_codes(tier, categories=list(VALUE_TIERS)),
            }
        )

    def _future(self, s: dict[str, np.ndarray], future: pd.DataFrame) -> pd.DataFrame:
        index = s["who"][s["day"] >= self.seen]
        revenue = np.bincount(
            index, weights=np.round(future["revenue"].to_numpy() * 100), minlength=self.n
        )
        leaves = self.people["truth_leaves_on"]
        return pd.DataFrame(
            {
                "guest_id": self.ids,
                "leaves_on": leaves.where(leaves > self.window.as_of),
                "stays": np.bincount(index, minlength=self.n),
                "nights": np.bincount(
                    index, weights=future["nights"].to_numpy(), minlength=self.n
                ).astype(np.int64),
                "revenue": np.round(revenue) / 100,
            }
        )


INDUSTRY = Industry(
    name="hotel",
    spec=SPEC,
    schema=SCHEMA,
    block=HotelBlock,
    block_size=BLOCK_SIZE,
    people="guests",
    events=("stays", "future_stays"),
    reference=reference,
    company=CHAIN["name"],
    region=None,  # guests come from anywhere in the country
    campaign=None,  # no campaign simulator yet
)
