#!/usr/bin/env python3
"""Writes a corpus of campaign files for `make bench`: N segment campaigns of about 700 bytes each, all valid,
plus a project.yaml. Deterministic: the same N gives the same bytes."""
import argparse
import os
import random

EVENTS = ["App Launched", "Charged", "Added To Cart", "Product Viewed", "Signed Up"]
TIERS = ["Platinum", "Gold", "Silver", "Bronze"]


def campaign(i: int, rng: random.Random) -> str:
    month = 1 + i % 12
    day = 1 + i % 28
    event = EVENTS[i % len(EVENTS)]
    return f"""# Generated benchmark campaign {i}
name: "Benchmark campaign {i:05d}"
devices: [android, ios]
audience:
  event: {event}
  from: 2026-{month:02d}-01
  to: 2026-{month:02d}-{day:02d}
  profile:
    Customer Type: {TIERS[i % len(TIERS)]}
    Loyalty Points: {rng.randint(0, 5000)}
content:
  title: "Offer {i}: {rng.choice(['spring', 'summer', 'autumn', 'winter'])} deals"
  body: >
    Hello! Your {TIERS[i % len(TIERS)].lower()} reward is waiting. Open the app
    to see today's picks, chosen for you from {rng.randint(10, 99)} new arrivals.
platform_specific:
  ios:
    mutable-content: true
    badge_count: {i % 9}
    deep_link: "app://offers/{i}"
  android:
    wzrk_cid: promotions
    deep_link: "app://offers/{i}"
    large_icon: "https://cdn.example.com/icons/{i % 50}.png"
schedule: "2030-{month:02d}-{day:02d} {9 + i % 10:02d}:{(i * 7) % 60:02d}"
options:
  respect_frequency_caps: true
  tag_group: group-{i % 10}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--out", default="bench/out/corpus")
    args = parser.parse_args()
    rng = random.Random(2026)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "project.yaml"), "w") as f:
        f.write("timezone: Europe/Berlin\n")
    for i in range(args.files):
        folder = os.path.join(args.out, f"batch{i // 1000:02d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"c{i:05d}.yaml"), "w") as f:
            f.write(campaign(i, rng))


if __name__ == "__main__":
    main()
