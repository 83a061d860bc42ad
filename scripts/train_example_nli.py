#!/usr/bin/env python3
"""Train examples/synthetic-nli: a small DeBERTa-v2 NLI classifier trained on a synthetic corpus.

    python3 scripts/train_example_nli.py            # 10-15 minutes on one CPU thread
    python3 scripts/train_example_nli.py --steps 200 --out /tmp/nli-smoke   # quick smoke run

The repository's quick-start checkpoint should make a real decision on real sentences, yet be
small enough to commit. This script builds one from nothing, deterministically (every random
choice is seeded; torch runs on one thread):

1. Corpus. English premise/hypothesis pairs are generated from templates, labelled
   CONTRADICTION / NEUTRAL / ENTAILMENT by construction. Phenomena: scenes ("A man is playing a
   guitar on stage.") with hypernyms (man -> person, guitar playing -> making music), dropped or
   added details (location, time, adjectives, reasons: added = NEUTRAL), incompatible
   activities, people, places and times (CONTRADICTION), negation ("is not", "nobody"), counting
   ("three apples" -> "more than two apples" / "fewer than two apples"), word order and roles
   ("the cat chased the dog" vs "the dog chased the cat", passives, symmetric verbs,
   comparatives), adjective synonyms/antonyms, verb synonyms, cities -> countries -> continents,
   days, hours, months and years. Plus pairs shaped like Hugging Face zero-shot classification:
   premise = a sentence on a topic (sports, politics, cooking, music, technology, weather, travel,
   health, finance, science, education, movies) or with a sentiment, hypothesis = "This example is
   {label}." (and other templates such as "This text is about {label}."), ENTAILMENT for the
   right label and CONTRADICTION for the others. Lower-case and capitalised variants throughout.
   The test split is held out by *combination*: a hash of each pair's content key (the premise
   sentence, or the (item, number, quantifier, number) of a counting pair, ...) sends about 8 % of
   keys to test only, and a few templates occur in test only ("On stage, a man is ...", "There is
   a man ...", "I counted ...", "This article is about {}.", "Yesterday's radio show focused on
   ...", adjective/noun pairs such as "the weather is hot"). So test accuracy is not memorisation;
   the held-out templates even contain a few words training never shows.
2. Tokenizer. A SentencePiece unigram model (nmt_nfkc, no byte fallback, [PAD]=0 [CLS]=1 [SEP]=2
   [UNK]=3 like DeBERTa, every printable ASCII character required) trained on the training text,
   saved as spm.model with a tokenizer_config.json in the style of microsoft/deberta-v3-base;
   [MASK] is an added special token with the id after the last piece.
3. Model. transformers.DebertaV2ForSequenceClassification with a deberta-v3-style config at toy
   width (see model_config), trained from scratch with AdamW on the transformers tokenizer's
   encoding. Training adds an auxiliary loss that is thrown away afterwards: a linear head on every
   layer predicts whether each token also occurs in the other sentence (alignment), which makes a
   model without pretraining learn much faster for the same compute.
   Saved as an fp16 pytorch_model.bin (torch.save of the half state dict, like
   microsoft/deberta-v2-xxlarge-mnli) plus config.json.
4. Evaluation. The float32 model reloaded from the saved fp16 folder is scored on the test split
   (per class, per phenomenon, held-out templates) and the numbers go into README.md.
5. Goldens (golden.json). Premise/hypothesis pairs with transformers' input_ids, token_type_ids,
   fp32 logits and label; and zero-shot-classification pipeline calls (fp32, loaded from the
   saved folder) with their labels and scores. The transformers tokenizer is checked against the
   sentencepiece package ([CLS] A [SEP] B [SEP]) on every golden text.

Outputs go to examples/synthetic-nli/ (or --out): config.json, pytorch_model.bin, spm.model,
tokenizer_config.json, README.md, golden.json.
"""

import argparse
import hashlib
import json
import re
import random
import string
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "examples" / "synthetic-nli"
SEED = 20240611

E, N, C = "ENTAILMENT", "NEUTRAL", "CONTRADICTION"
ID2LABEL = {0: C, 1: N, 2: E}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}
TEST_PERCENT = 8

# =============================================================================================
# 1. The corpus
# =============================================================================================


def art(np_):
    """'a dog', 'an apple' (with the few exceptions our vocabulary needs)."""
    w = np_.lower()
    if w.startswith(("uni", "one", "use", "eu")):
        return "a " + np_
    if w.startswith(("hour", "honest")) or w[0] in "aeiou":
        return "an " + np_
    return "a " + np_


def cap(s):
    return s[:1].upper() + s[1:]


def key_in_test(*key):
    """Deterministic split of content keys: about TEST_PERCENT % go to test."""
    digest = hashlib.sha1(repr(key).encode()).digest()
    return int.from_bytes(digest[:4], "little") % 100 < TEST_PERCENT


NAMES = ["Tom", "Anna", "Maria", "John", "Lisa", "David", "Sarah", "Peter", "Emma", "James", "Mia", "Omar",
         "Yuki", "Carlos", "Priya", "Lucas", "Sofia", "Ahmed", "Chen", "Olga", "Daniel", "Laura", "Ben", "Nina"]

# ---------------------------------------------------------------------------------------------
# Scenes: subject (+ adjective) + activity (+ location) (+ time)
# ---------------------------------------------------------------------------------------------

# name: (kind, exclusivity class or None, generalisations)
SUBJECTS = {
    "man": ("person", "M", ["person"]),
    "woman": ("person", "F", ["person"]),
    "boy": ("person", "m", ["child", "kid", "person"]),
    "girl": ("person", "f", ["child", "kid", "person"]),
    "young man": ("person", "M", ["man", "person"]),
    "old woman": ("person", "F", ["woman", "person"]),
    "little girl": ("person", "f", ["girl", "child", "person"]),
    "little boy": ("person", "m", ["boy", "child", "person"]),
    "doctor": ("person", None, ["person"]),
    "teacher": ("person", None, ["person"]),
    "chef": ("person", None, ["person", "cook"]),
    "student": ("person", None, ["person"]),
    "musician": ("person", None, ["person"]),
    "nurse": ("person", None, ["person"]),
    "farmer": ("person", None, ["person"]),
    "police officer": ("person", None, ["person"]),
    "dog": ("animal", "dog", ["animal", "pet"]),
    "puppy": ("animal", "dog", ["dog", "animal", "young dog"]),
    "cat": ("animal", "cat", ["animal", "pet"]),
    "kitten": ("animal", "cat", ["cat", "animal", "young cat"]),
    "horse": ("animal", "horse", ["animal"]),
    "bird": ("animal", "bird", ["animal"]),
    "cow": ("animal", "cow", ["animal"]),
}

PERSON_ADJ = {  # adjective: (synonyms, antonyms)
    "young": ([], ["old", "elderly"]),
    "old": (["elderly"], ["young"]),
    "tall": ([], ["short"]),
    "short": ([], ["tall"]),
    "happy": (["cheerful", "glad"], ["sad", "unhappy"]),
    "sad": (["unhappy"], ["happy", "cheerful"]),
    "tired": (["exhausted"], ["energetic"]),
    "smiling": ([], ["crying", "frowning"]),
}
ANIMAL_ADJ = {
    "big": (["large"], ["small", "little"]),
    "small": (["little"], ["big", "large"]),
    "black": ([], ["white", "brown"]),
    "white": ([], ["black", "brown"]),
    "brown": ([], ["black", "white"]),
    "wet": ([], ["dry"]),
}
# adjectives that do not apply to every subject ("young man" already says young)
ADJ_CLASH = {"young": ["young man", "old woman", "puppy", "kitten", "little girl", "little boy"],
             "old": ["young man", "old woman", "little girl", "little boy"],
             "small": ["little girl", "little boy"], "big": ["puppy", "kitten"]}

# activity: (kind, class, generalisations, topic or None, locations)
OUT_MUSIC = ["on stage", "in the park", "on the street", "at the beach", "in the living room", "in the garden"]
ACTIVITIES = {
    "playing a guitar": ("person", "music", ["playing an instrument", "playing a musical instrument", "making music", "playing music", "playing the guitar"], "music", OUT_MUSIC),
    "playing the piano": ("person", "music", ["playing an instrument", "playing a musical instrument", "making music", "playing music"], "music", ["on stage", "in the living room", "in a church", "in a concert hall"]),
    "playing the violin": ("person", "music", ["playing an instrument", "making music", "playing music"], "music", ["on stage", "on the street", "in a concert hall", "in the park"]),
    "playing the drums": ("person", "music", ["playing an instrument", "making music", "playing music"], "music", ["on stage", "in the garage", "in the living room"]),
    "singing a song": ("person", "music", ["singing", "making music"], "music", ["on stage", "in the kitchen", "in a church", "on the street", "in the shower"]),
    "cooking dinner": ("person", "kitchen", ["cooking", "preparing food", "making food", "preparing a meal"], "cooking", ["in the kitchen", "in a restaurant"]),
    "baking a cake": ("person", "kitchen", ["baking", "preparing food", "making a dessert", "baking something"], "cooking", ["in the kitchen", "in a bakery"]),
    "chopping onions": ("person", "kitchen", ["preparing food", "cutting vegetables", "chopping vegetables", "cutting something"], "cooking", ["in the kitchen", "in a restaurant"]),
    "frying eggs": ("person", "kitchen", ["cooking", "preparing food", "cooking eggs", "making food"], "cooking", ["in the kitchen", "in a restaurant"]),
    "making soup": ("person", "kitchen", ["cooking", "preparing food", "making food", "preparing a meal"], "cooking", ["in the kitchen", "in a restaurant"]),
    "washing the dishes": ("person", "kitchen", ["cleaning", "washing something", "cleaning the dishes"], None, ["in the kitchen", "in a restaurant"]),
    "reading a book": ("person", "desk", ["reading", "reading something", "looking at a book"], None, ["in a library", "in the living room", "in the park", "at the beach", "on a train"]),
    "reading a newspaper": ("person", "desk", ["reading", "reading something", "reading the news"], None, ["in the living room", "in a cafe", "on a train", "in the office"]),
    "writing a letter": ("person", "desk", ["writing", "writing something"], None, ["in the office", "in a library", "in the living room", "in a cafe"]),
    "typing on a laptop": ("person", "desk", ["using a computer", "typing", "working on a computer"], "technology", ["in the office", "in a library", "in a cafe", "on a train"]),
    "playing soccer": ("person", "sport", ["playing a sport", "playing a game", "playing football", "playing a ball game"], "sports", ["in the park", "at the beach", "in a field", "in a stadium"]),
    "playing tennis": ("person", "sport", ["playing a sport", "playing a game"], "sports", ["in the park", "on a court", "in a stadium"]),
    "playing basketball": ("person", "sport", ["playing a sport", "playing a game", "playing a ball game"], "sports", ["in the park", "on a court", "in a gym"]),
    "running a marathon": ("person", "run", ["running", "taking part in a race", "running a race"], "sports", ["in the city", "on the street", "in the rain"]),
    "jogging": ("person", "run", ["running", "exercising", "moving"], "sports", ["in the park", "on the street", "at the beach", "in a field"]),
    "swimming": ("person", "water", ["in the water", "moving in the water"], "sports", ["in a lake", "in a pool", "in the sea"]),
    "riding a bicycle": ("person", "ride", ["riding a bike", "cycling", "riding something"], None, ["on the street", "in the park", "in the city"]),
    "driving a car": ("person", "drive", ["driving", "driving a vehicle", "in a car"], None, ["on the street", "on a highway", "in the city"]),
    "driving a bus": ("person", "drive", ["driving", "driving a vehicle", "in a bus"], None, ["on the street", "on a highway", "in the city"]),
    "sleeping": ("person", "sleep", ["resting", "asleep"], None, ["in the living room", "in the park", "on a train", "at the beach", "in a bed"]),
    "eating an apple": ("person", "eat", ["eating", "eating fruit", "eating something", "having a snack"], None, ["in the kitchen", "in the park", "in the office", "at the beach"]),
    "eating a sandwich": ("person", "eat", ["eating", "eating food", "eating something", "having a meal"], None, ["in the kitchen", "in the park", "in the office", "in a cafe"]),
    "drinking coffee": ("person", "eat", ["drinking", "drinking something", "having a drink"], None, ["in the kitchen", "in a cafe", "in the office"]),
    "painting a picture": ("person", "art", ["painting", "making art", "painting something"], None, ["in the garden", "in the living room", "in the park"]),
    "dancing": ("person", "dance", ["moving", "dancing to music"], "music", ["on stage", "in the living room", "at a party", "on the street"]),
    "watching a movie": ("person", "watch", ["watching a film", "watching something", "looking at a screen"], "movies", ["in the living room", "in a cinema", "on a train"]),
    "talking on the phone": ("person", "phone", ["using a phone", "talking", "speaking on the phone", "on the phone"], None, ["in the office", "on the street", "in the park", "in a cafe"]),
    "climbing a mountain": ("person", "climb", ["climbing", "outdoors", "hiking"], "travel", ["in the snow", "in the rain"]),
    "fishing": ("person", "fish", ["trying to catch fish", "outdoors"], None, ["at a lake", "on a boat", "on a river"]),
    "sleeping ": ("animal", "sleep", ["resting", "asleep", "lying down"], None, ["in the garden", "in the living room", "in a field", "on the sofa"]),
    "running": ("animal", "run", ["moving", "running around"], None, ["in the park", "in a field", "at the beach", "in the garden"]),
    "eating": ("animal", "eat", ["having food", "eating something"], None, ["in the garden", "in a field", "in the kitchen"]),
    "swimming ": ("animal", "water", ["in the water", "moving in the water"], None, ["in a lake", "in the sea", "in a river"]),
    "playing with a ball": ("animal", "play", ["playing", "playing with a toy", "playing with something"], None, ["in the park", "in the garden", "at the beach"]),
    "jumping over a fence": ("animal", "jump", ["jumping", "jumping over something", "moving"], None, ["in the garden", "in a field"]),
    "barking": ("dog", "bark", ["making noise", "making a sound"], None, ["in the garden", "in the park", "on the street"]),
}
# class pairs that can happen at once: never generated as contradictions
COMPATIBLE = {frozenset(p) for p in [("music", "dance"), ("eat", "watch"), ("phone", "drive"), ("phone", "eat"),
                                      ("bark", "run"), ("bark", "play"), ("bark", "jump"), ("run", "play"),
                                      ("run", "jump"), ("play", "jump"), ("eat", "desk"), ("phone", "desk")]}

# location: (indoor/outdoor or None, exclusive place?, generalisations). Two different exclusive
# places contradict each other ("in the park" / "in the kitchen"), and so do "in ..." and "outside".
LOCATIONS = {
    "in the park": ("out", True, ["outside", "outdoors", "in a park"]),
    "at the beach": ("out", True, ["outside", "outdoors", "near the sea", "by the sea"]),
    "on the street": ("out", True, ["outside", "outdoors", "in the street"]),
    "in the garden": ("out", True, ["outside", "outdoors"]),
    "in a field": ("out", True, ["outside", "outdoors"]),
    "in the snow": ("out", False, ["outside", "outdoors"]),
    "in the rain": ("out", False, ["outside", "outdoors"]),
    "in a lake": ("out", True, ["in the water", "outside", "outdoors"]),
    "in the sea": ("out", True, ["in the water", "outside", "outdoors"]),
    "in a river": ("out", True, ["in the water", "outside", "outdoors"]),
    "on a river": ("out", False, ["outside", "outdoors", "on the water"]),
    "at a lake": ("out", False, ["outside", "outdoors", "near the water"]),
    "on a boat": (None, False, ["on the water"]),
    "on a highway": ("out", True, ["outside", "on a road"]),
    "in the city": (None, False, ["in a town or city"]),
    "in a stadium": (None, True, ["at a sports venue"]),
    "on a court": (None, False, []),
    "in a pool": (None, True, ["in the water"]),
    "on stage": (None, False, ["in front of an audience"]),
    "in the kitchen": ("in", True, ["inside", "indoors", "in a house", "at home"]),
    "in the living room": ("in", True, ["inside", "indoors", "in a house", "at home"]),
    "in a bed": ("in", False, ["inside", "indoors", "lying down"]),
    "on the sofa": ("in", False, ["inside", "indoors", "at home"]),
    "in a library": ("in", True, ["inside", "indoors", "in a building"]),
    "in the office": ("in", True, ["inside", "indoors", "at work", "in a building"]),
    "in a cafe": ("in", True, ["inside", "indoors"]),
    "in a restaurant": ("in", True, ["inside", "indoors", "in a building"]),
    "in a bakery": ("in", True, ["inside", "indoors", "in a shop"]),
    "in a church": ("in", True, ["inside", "indoors", "in a building"]),
    "in a concert hall": ("in", False, ["inside", "indoors", "in a building"]),
    "in a cinema": ("in", True, ["inside", "indoors", "at the movies"]),
    "in a gym": ("in", True, ["inside", "indoors", "in a building"]),
    "in the garage": ("in", True, ["inside", "indoors"]),
    "in the shower": ("in", True, ["inside", "indoors", "in the bathroom"]),
    "on a train": ("in", True, ["on public transport", "travelling"]),
    "at a party": (None, False, ["with other people"]),
}
# replacements above that mean the same as what they replace (not strictly weaker)
SYNONYMS = {"playing the guitar", "playing football", "riding a bike", "cycling", "asleep", "watching a film",
            "speaking on the phone", "on the phone", "young dog", "young cat", "in a park", "in the street"}
OPPOSITE_GENERAL = {"out": ["inside", "indoors"], "in": ["outside", "outdoors"]}

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PARTS = {"morning": "in the morning", "afternoon": "in the afternoon", "evening": "in the evening", "night": "at night"}
DETAILS = ["with a friend", "for the first time", "while wearing a red hat", "after work", "for an hour",
           "to win a prize", "with great skill", "for a large crowd", "next to an old tree", "while it is snowing",
           "with two friends", "for money", "to relax", "in a blue shirt", "after a long day", "because it is fun"]
TEST_DETAILS = ["while wearing sunglasses", "for a small audience"]


def scene_time(rng):
    """(text, day or None, part or None)"""
    r = rng.random()
    if r < 0.4:
        part = rng.choice(list(PARTS))
        return PARTS[part], None, part
    day = rng.choice(DAYS)
    if r < 0.7:
        return "on " + day, day, None
    part = rng.choice(list(PARTS))
    return f"on {day} {part}", day, part


def time_general(day, part, rng):
    """Something the time entails (None: drop it)."""
    options = [None]
    if part:
        options.append(PARTS[part])
    if day:
        options.append("on " + day)
        options.append("at the weekend" if day in ("Saturday", "Sunday") else "on a weekday")
    return rng.choice(options)


def time_conflict(day, part, rng):
    options = []
    if part:
        options += [PARTS[p] for p in PARTS if p != part]
    if day:
        options += ["on " + d for d in DAYS if d != day]
        options.append("on a weekday" if day in ("Saturday", "Sunday") else "at the weekend")
    return rng.choice(options)


def location_conflict(loc, rng):
    io, exclusive, gens = LOCATIONS[loc]
    cands = []
    if io:
        cands += OPPOSITE_GENERAL[io]
    for other, (oio, oexcl, ogens) in LOCATIONS.items():
        if other == loc or not oexcl:
            continue
        if exclusive or (io and oio and io != oio):
            cands.append(other)
    return rng.choice(cands) if cands else None


def activities_for(subj):
    kind, scls, _ = SUBJECTS[subj]
    return [a for a, v in ACTIVITIES.items() if v[0] == kind or (v[0] == "dog" and scls == "dog")]


def incompatible_activities(subj, act):
    cls = ACTIVITIES[act][1]
    return [a for a in activities_for(subj)
            if ACTIVITIES[a][1] != cls and frozenset((ACTIVITIES[a][1], cls)) not in COMPATIBLE]


def render_scene(h, rng, frame="plain"):
    """h: subj adj act loc time detail neg nobody someone definite"""
    act = h["act"].strip()
    parts = [x for x in (h["loc"], h["time"], h["detail"]) if x]
    if h["nobody"]:
        tail = "".join(" " + x for x in parts)
        if SUBJECTS[h["subj"]][0] == "person" or h["subj"] in ("person", "someone"):
            return f"{rng.choice(['Nobody', 'No one'])} is {act}{tail}."
        return f"There is no {h['subj']} {act}{tail}."
    if h["someone"]:
        np_ = rng.choice(["someone", "somebody"])
    else:
        noun = f"{h['adj']} {h['subj']}" if h["adj"] else h["subj"]
        np_ = "the " + noun if h["definite"] else art(noun)
    neg = " not" if h["neg"] else ""
    if frame == "fronted" and h["loc"]:
        rest = "".join(" " + x for x in parts[1:])
        return f"{cap(h['loc'])}, {np_} is{neg} {act}{rest}."
    tail = "".join(" " + x for x in parts)
    if frame == "there" and np_.startswith(("a ", "an ")) and not neg:
        return f"There is {np_} {act}{tail}."
    return f"{cap(np_)} is{neg} {act}{tail}."


def gen_scene(rng):
    subj = rng.choice(list(SUBJECTS))
    kind, scls, sgens = SUBJECTS[subj]
    adjs = PERSON_ADJ if kind == "person" else ANIMAL_ADJ
    fitting_adjs = [a for a in adjs if subj not in ADJ_CLASH.get(a, [])]
    act = rng.choice(activities_for(subj))
    _, acls, agens, topic, locs = ACTIVITIES[act]
    p = {"subj": subj, "adj": rng.choice(fitting_adjs) if rng.random() < 0.3 else None, "act": act,
         "loc": rng.choice(locs) if rng.random() < 0.7 else None, "time": None, "detail": None,
         "neg": False, "nobody": False, "someone": False, "definite": False}
    day = part = None
    if rng.random() < 0.3:
        p["time"], day, part = scene_time(rng)
    if rng.random() < 0.1:
        p["detail"] = rng.choice(DETAILS + TEST_DETAILS[:1])
    r = rng.random()
    frame = "fronted" if r < 0.025 and p["loc"] else "there" if r < 0.05 else "plain"
    held = frame != "plain" or p["detail"] in TEST_DETAILS
    premise = render_scene(p, rng, frame)

    h = dict(p, detail=None, definite=rng.random() < 0.4)
    strict = p["detail"] is not None  # is the hypothesis strictly weaker than the premise?

    def weaken(n, allow_subject=True):
        """Apply n meaning-preserving or generalising edits to h."""
        nonlocal strict
        ops = ["subj", "adj", "act", "loc", "time"]
        rng.shuffle(ops)
        done = 0
        for op in ops:
            if done >= n:
                break
            if op == "subj" and allow_subject:
                g = rng.choice(sgens + (["someone"] if kind == "person" else []))
                if g == "someone":
                    h["someone"], h["adj"] = True, None
                else:
                    h["subj"] = g
            elif op == "adj" and h["adj"] and not h["someone"]:
                syn = adjs[h["adj"]][0]
                if syn and rng.random() < 0.5:
                    h["adj"] = rng.choice(syn)
                    done += 1
                    continue  # a synonym is not weaker
                h["adj"] = None
            elif op == "act":
                h["act"] = rng.choice(agens)
            elif op == "loc" and h["loc"]:
                gens = LOCATIONS[h["loc"]][2]
                h["loc"] = rng.choice(gens) if gens and rng.random() < 0.6 else None
            elif op == "time" and h["time"]:
                h["time"] = time_general(day, part, rng)
            else:
                continue
            if h[op] not in SYNONYMS:
                strict = True
            done += 1

    r = rng.random()
    if r < 0.33:
        label = E
        if rng.random() < 0.12:  # "The man is not sleeping." (one main activity per subject)
            other = rng.choice(incompatible_activities(subj, act))
            h.update(act=rng.choice([other, ACTIVITIES[other][2][0]]), neg=True, loc=None, time=None,
                     definite=True)
            strict = True
        else:
            weaken(rng.choice([1, 1, 2, 2, 3]))
        if h == dict(p, detail=None, definite=h["definite"]) and not strict:
            return None
    elif r < 0.68:
        label = N
        options = ["reverse", "reverse", "detail", "detail"]
        options += [x for x in ("adj", "loc", "time") if not p[x]]
        op = rng.choice(options)
        if op == "reverse":  # premise := a strictly weaker sentence, hypothesis := the full scene
            weaken(rng.choice([1, 2, 2, 3]))
            if not strict:
                return None
            weak = render_scene(h, rng)
            return weak, premise, N, "scene", ("scene", weak), held, None
        weaken(rng.choice([0, 0, 1]))
        if op == "adj":
            h["adj"] = rng.choice(fitting_adjs)
            h["someone"] = False
        elif op == "loc":
            h["loc"] = rng.choice(locs)
        elif op == "time":
            h["time"] = scene_time(rng)[0]
        else:
            h["detail"] = rng.choice(DETAILS + TEST_DETAILS[1:])
            held = held or h["detail"] in TEST_DETAILS
    else:
        label = C
        weaken(rng.choice([0, 0, 1]), allow_subject=False)
        options = ["subj", "act", "act", "act", "neg", "neg", "nobody"]
        if p["adj"] and adjs[p["adj"]][1]:
            options.append("adj")
        if p["loc"] and location_conflict(p["loc"], rng):
            options += ["loc", "loc"]
        if p["time"]:
            options += ["time", "time"]
        op = rng.choice(options)
        if op == "subj":
            if scls is None:
                cands = [s for s, v in SUBJECTS.items() if v[0] == "animal"]
            else:
                cands = [s for s, v in SUBJECTS.items() if v[1] is not None and v[1] != scls]
            h["subj"] = rng.choice(cands)
            new_adjs = PERSON_ADJ if SUBJECTS[h["subj"]][0] == "person" else ANIMAL_ADJ
            if h["adj"] not in new_adjs or h["subj"] in ADJ_CLASH.get(h["adj"], []):
                h["adj"] = None
            fits = activities_for(h["subj"])
            if act not in fits:
                h["act"] = rng.choice(fits)
                h["loc"] = p["loc"] if p["loc"] in ACTIVITIES[h["act"]][4] else None
        elif op == "act":
            other = rng.choice(incompatible_activities(subj, act))
            h["act"] = other if rng.random() < 0.7 else rng.choice(ACTIVITIES[other][2])
            if h["loc"] and h["loc"] in LOCATIONS and h["loc"] not in ACTIVITIES[other][4]:
                h["loc"] = None
        elif op == "neg":
            h.update(neg=True, definite=True)
            if rng.random() < 0.5:
                h["loc"] = None
            if rng.random() < 0.5:
                h["time"] = None
        elif op == "nobody":
            h["nobody"] = True
            if rng.random() < 0.5:
                h["loc"] = None
        elif op == "adj":
            h["adj"] = rng.choice(adjs[p["adj"]][1])
        elif op == "loc":
            h["loc"] = location_conflict(p["loc"], rng)
        elif op == "time":
            h["time"] = time_conflict(day, part, rng)
    hyp = render_scene(h, rng)
    if hyp == premise:
        return None
    return premise, hyp, label, "scene", ("scene", premise), held, topic


def gen_scene_negated(rng):
    """Negated premises: 'The man is not sleeping.'"""
    subj = rng.choice(list(SUBJECTS))
    act = rng.choice(activities_for(subj))
    p = {"subj": subj, "adj": None, "act": act, "loc": None, "time": None, "detail": None,
         "neg": True, "nobody": False, "someone": False, "definite": True}
    premise = render_scene(p, rng)
    h = dict(p, neg=False)
    r = rng.random()
    if r < 0.4:
        label = C  # "The man is sleeping." / "The man is sleeping in the park."
        if rng.random() < 0.4:
            h["loc"] = rng.choice(ACTIVITIES[act][4])
    elif r < 0.75:
        label = N  # "The man is reading a book."
        h["act"] = rng.choice([a for a in activities_for(subj) if a != act])
    else:
        label = E  # "It is not true that the man is sleeping."
        positive = render_scene(dict(p, neg=False), rng)
        h = None
        hyp = "It is not true that " + positive[0].lower() + positive[1:]
        if rng.random() < 0.5:
            premise, hyp = hyp, premise
        return premise, hyp, label, "negation", ("neg", premise, hyp), False, None
    return premise, render_scene(h, rng), label, "negation", ("neg", premise), False, None


# ---------------------------------------------------------------------------------------------
# Counting: "There are three apples on the table." -> "more than two" / "fewer than two" ...
# ---------------------------------------------------------------------------------------------

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve"]
# plural, singular, hypernym plural or None, places
ITEMS = [
    ("apples", "apple", "fruits", ["on the table", "in the basket", "in the bowl", "in the bag"]),
    ("oranges", "orange", "fruits", ["on the table", "in the basket", "in the bowl"]),
    ("bananas", "banana", "fruits", ["on the table", "in the basket", "in the kitchen"]),
    ("books", "book", None, ["on the shelf", "on the table", "in the bag", "in the box"]),
    ("cars", "car", "vehicles", ["in the parking lot", "on the street", "in the garage"]),
    ("trucks", "truck", "vehicles", ["in the parking lot", "on the road"]),
    ("dogs", "dog", "animals", ["in the park", "in the garden", "on the street"]),
    ("cats", "cat", "animals", ["in the garden", "on the sofa", "in the house"]),
    ("birds", "bird", "animals", ["in the tree", "on the roof", "in the garden"]),
    ("chairs", "chair", "pieces of furniture", ["in the room", "in the kitchen", "around the table"]),
    ("pencils", "pencil", None, ["on the desk", "in the box", "in the bag"]),
    ("eggs", "egg", None, ["in the fridge", "in the basket", "in the box"]),
    ("cookies", "cookie", None, ["on the plate", "in the jar", "in the box"]),
    ("students", "student", "people", ["in the classroom", "in the library", "on the bus"]),
    ("children", "child", "people", ["in the park", "in the pool", "on the bus"]),
    ("bottles", "bottle", None, ["in the fridge", "on the table", "in the box"]),
    ("coins", "coin", None, ["in the jar", "on the table", "in the wallet"]),
    ("roses", "rose", "flowers", ["in the vase", "in the garden"]),
    ("horses", "horse", "animals", ["in the field", "in the barn"]),
    ("boats", "boat", None, ["on the lake", "in the harbour"]),
]


def num_text(n, rng):
    return NUMBER_WORDS[n] if rng.random() < 0.7 else str(n)


def gen_counting(rng):
    """Labels follow from the numbers. With a hypernym in the hypothesis ("fruits" for "apples")
    only the direction of the quantifier is known: 'more than two fruits' follows from three
    apples, 'more than five fruits' is NEUTRAL, 'fewer than two fruits' contradicts."""
    plural, singular, hyper, places = rng.choice(ITEMS)
    n = rng.randrange(0, 13)
    name = rng.choice(NAMES)
    frame = rng.choice(["there"] * 6 + ["has"] * 5 + ["counted"])
    if frame == "has" and plural in ("students", "children"):
        frame = "there"
    verb = rng.choice(["has", "bought", "found", "owns"])
    place = rng.choice(places) if rng.random() < 0.8 else None
    held = frame == "counted"

    def sentence(q, k, noun, place_, who=name):
        tail = f" {place_}" if place_ else ""
        if frame in ("there", "counted"):
            return f"There {'is' if k == 1 else 'are'} {q} {noun}{tail}."
        return f"{who} {verb} {q} {noun}{tail}."

    if frame == "counted":
        premise = f"I counted {num_text(n, rng)} {singular if n == 1 else plural}{' ' + place if place else ''}."
    else:
        premise = sentence(num_text(n, rng) if n else "no", n, singular if n == 1 else plural, place)
    h_place = place if rng.random() < 0.7 else None
    if rng.random() < 0.88:
        quant = rng.choice(["more than", "fewer than", "less than", "at least", "at most", "exactly", "", "over",
                            "under", "some", "several", "no"])
        m = rng.randrange(0, 13)
        if m == n and rng.random() < 0.3:
            m = rng.randrange(0, 13)
        if quant in ("fewer than", "less than", "under"):
            m = max(m, 2)
        if quant in ("at least", "exactly", ""):
            m = max(m, 1)
        test, direction = {
            "more than": (n > m, "up"), "over": (n > m, "up"), "at least": (n >= m, "up"),
            "some": (n >= 1, "up"), "several": (n >= 3, "up"),
            "fewer than": (n < m, "down"), "less than": (n < m, "down"), "under": (n < m, "down"),
            "at most": (n <= m, "down"), "no": (n == 0, "down"),
            "exactly": (n == m, "exact"), "": (n == m, "exact")}[quant]
        if quant == "several" and n in (1, 2):
            return None  # is two 'several'? leave it out
        use_hyper = hyper is not None and rng.random() < 0.15
        if not use_hyper:
            label = E if test else C
        elif direction == "up":
            label = E if test else N
        elif direction == "down":
            label = N if test else C
        else:
            label = C if m < n else N
        if quant in ("some", "several", "no"):
            q, k = quant, None
        else:
            q = f"{quant} {num_text(m, rng)}".strip()
            k = m if quant in ("", "exactly", "at least", "at most", "more than", "over") else None
        if k == 1 and use_hyper:
            return None
        noun = hyper if use_hyper else (singular if k == 1 else plural)
        hyp = sentence(q, k, noun, h_place)
        key = ("count", plural, n, quant, m)
    else:  # another kind of thing, or another owner: neutral
        other_plural, other_singular, _, _ = rng.choice([it for it in ITEMS if it[0] != plural])
        m = rng.randrange(1, 13)
        if frame == "has" and rng.random() < 0.5:
            other = rng.choice([x for x in NAMES if x != name])
            hyp = sentence(num_text(m, rng), m, singular if m == 1 else plural, h_place, who=other)
        else:
            hyp = sentence(num_text(m, rng), m, other_singular if m == 1 else other_plural, h_place)
        label = N
        key = ("count", plural, n, "other", hyp)
    return premise, hyp, label, "counting", key, held, None


# ---------------------------------------------------------------------------------------------
# Roles and word order: "The cat chased the dog." vs "The dog chased the cat."
# ---------------------------------------------------------------------------------------------

ENTITIES = ["the cat", "the dog", "the boy", "the girl", "the teacher", "the student", "the doctor", "the thief",
            "the police officer", "the old man", "the woman", "the man", "the child", "the nurse", "the farmer",
            "the manager", "the driver", "the baby", "the horse", "the neighbour"] + NAMES[:14]
PEOPLE = [e for e in ENTITIES if e not in ("the cat", "the dog", "the horse", "the baby")]
# past, base, past participle
ASYMMETRIC = [("chased", "chase", "chased"), ("helped", "help", "helped"), ("called", "call", "called"),
              ("pushed", "push", "pushed"), ("followed", "follow", "followed"), ("visited", "visit", "visited"),
              ("thanked", "thank", "thanked"), ("kicked", "kick", "kicked"), ("watched", "watch", "watched"),
              ("invited", "invite", "invited"), ("saw", "see", "seen"), ("taught", "teach", "taught"),
              ("hit", "hit", "hit"), ("bit", "bite", "bitten"), ("caught", "catch", "caught"),
              ("found", "find", "found"), ("paid", "pay", "paid"), ("blamed", "blame", "blamed"),
              ("praised", "praise", "praised"), ("ignored", "ignore", "ignored"), ("warned", "warn", "warned"),
              ("rescued", "rescue", "rescued"), ("admired", "admire", "admired"), ("fed", "feed", "fed"),
              ("photographed", "photograph", "photographed"), ("interviewed", "interview", "interviewed")]
SYMMETRIC = [("met", "meet"), ("married", "marry"), ("talked with", "talk with"), ("argued with", "argue with"),
             ("danced with", "dance with"), ("shook hands with", "shake hands with"), ("played chess with", "play chess with")]
COMPARATIVES = [("taller", "shorter"), ("older", "younger"), ("faster", "slower"), ("stronger", "weaker"),
                ("richer", "poorer"), ("heavier", "lighter"), ("bigger", "smaller"), ("happier", "sadder")]


def gen_roles(rng):
    a, b, c = rng.sample(ENTITIES, 3)
    if rng.random() < 0.22:
        a, b, c = rng.sample(PEOPLE, 3)
        past, base = rng.choice(SYMMETRIC)
        premise = f"{cap(a)} {past} {b}."
        r = rng.random()
        if r < 0.35:
            hyp, label = f"{cap(b)} {past} {a}.", E
        elif r < 0.55:
            hyp, label = f"{cap(b)} did not {base} {a}.", C
        elif r < 0.7:
            hyp, label = f"{cap(a)} did not {base} {b}.", C
        elif r < 0.85:
            hyp, label = f"{cap(a)} {past} {c}.", N
        else:
            hyp, label = f"{cap(c)} {past} {b}.", N
        return premise, hyp, label, "roles", ("roles", a, b, past), False, None
    past, base, pp = rng.choice(ASYMMETRIC)
    active = rng.random() < 0.7
    premise = f"{cap(a)} {past} {b}." if active else f"{cap(b)} was {pp} by {a}."
    r = rng.random()
    if r < 0.16:
        hyp, label = (f"{cap(b)} was {pp} by {a}." if active else f"{cap(a)} {past} {b}."), E
    elif r < 0.36:
        hyp, label = f"{cap(b)} {past} {a}.", N
    elif r < 0.46:
        hyp, label = f"{cap(a)} was {pp} by {b}.", N
    elif r < 0.58:
        hyp, label = f"{cap(a)} did not {base} {b}.", C
    elif r < 0.66:
        hyp, label = f"{cap(b)} was not {pp} by {a}.", C
    elif r < 0.72:
        hyp, label = f"{cap(b)} did not {base} {a}.", N
    elif r < 0.8:
        hyp, label = rng.choice([(f"Someone {past} {b}.", E), (f"{cap(a)} {past} someone.", E),
                                 (f"Nobody {past} {b}.", C), (f"{cap(a)} {past} nobody.", C)])
    elif r < 0.9:
        hyp, label = f"{cap(a)} {past} {c}.", N
    else:
        other = rng.choice([v for v in ASYMMETRIC if v[0] != past])
        hyp, label = f"{cap(a)} {other[0]} {b}.", N
    return premise, hyp, label, "roles", ("roles", a, b, past), False, None


def gen_comparative(rng):
    a, b, c = rng.sample(ENTITIES, 3)
    more, less = rng.choice(COMPARATIVES)
    if rng.random() < 0.5:
        more, less = less, more
    premise = f"{cap(a)} is {more} than {b}."
    r = rng.random()
    if r < 0.2:
        hyp, label = f"{cap(b)} is {less} than {a}.", E
    elif r < 0.4:
        hyp, label = f"{cap(b)} is {more} than {a}.", C
    elif r < 0.55:
        hyp, label = f"{cap(a)} is {less} than {b}.", C
    elif r < 0.65:
        hyp, label = f"{cap(a)} is not {more} than {b}.", C
    elif r < 0.75:
        hyp, label = f"{cap(b)} is not {more} than {a}.", E
    elif r < 0.88:
        hyp, label = f"{cap(a)} is {more} than {c}.", N
    else:
        other = rng.choice([x for x in COMPARATIVES if more not in x])
        hyp, label = f"{cap(a)} is {rng.choice(other)} than {b}.", N
    return premise, hyp, label, "comparatives", ("cmp", a, b, more), False, None


# ---------------------------------------------------------------------------------------------
# Adjectives: synonyms and antonyms ("The room is big." -> "The room is large." / "small")
# ---------------------------------------------------------------------------------------------

ADJ_GROUPS = [  # (one side, the other side, nouns); words on one side are synonyms, the sides are contraries
    (["big", "large"], ["small", "little"], ["house", "room", "dog", "box", "car", "city", "garden", "bag"]),
    (["happy", "glad"], ["sad", "unhappy"], ["child", "man", "woman", "girl", "boy", "teacher", "student"]),
    (["fast", "quick"], ["slow"], ["car", "train", "runner", "horse", "computer", "bus"]),
    (["hot"], ["cold"], ["soup", "coffee", "water", "room", "tea", "weather"]),
    (["rich", "wealthy"], ["poor"], ["man", "woman", "family", "farmer", "country"]),
    (["easy", "simple"], ["hard", "difficult"], ["test", "exam", "question", "task", "puzzle", "job"]),
    (["clean"], ["dirty"], ["room", "kitchen", "car", "shirt", "floor", "street"]),
    (["empty"], ["full"], ["bottle", "glass", "box", "room", "bus", "stadium", "fridge"]),
    (["open"], ["closed", "shut"], ["door", "window", "shop", "store", "museum", "gate"]),
    (["quiet", "silent"], ["loud", "noisy"], ["room", "street", "library", "classroom", "restaurant", "party"]),
    (["new"], ["old"], ["car", "phone", "house", "bicycle", "computer", "shirt"]),
    (["expensive", "costly"], ["cheap", "inexpensive"], ["car", "phone", "watch", "hotel", "dress", "meal"]),
    (["wet"], ["dry"], ["floor", "towel", "grass", "road", "shirt"]),
    (["angry", "mad"], ["calm"], ["man", "woman", "customer", "teacher", "boss"]),
    (["smart", "clever", "intelligent"], ["stupid", "foolish"], ["student", "boy", "girl", "dog", "man"]),
    (["beautiful", "pretty", "lovely"], ["ugly"], ["garden", "house", "painting", "flower", "dress", "city"]),
    (["dark"], ["bright"], ["room", "sky", "street", "kitchen"]),
    (["safe"], ["dangerous"], ["road", "city", "street", "neighbourhood", "trip"]),
    (["correct", "right"], ["wrong", "incorrect"], ["answer", "guess", "decision", "result"]),
    (["alive"], ["dead"], ["plant", "fish", "tree", "bird"]),
    (["awake"], ["asleep"], ["baby", "child", "dog", "man", "cat"]),
]
NOT_GRADABLE = {"correct", "alive", "awake", "open", "empty"}
HELD_OUT_ADJ_NOUNS = {("hot", "weather"), ("open", "museum"), ("smart", "dog"), ("new", "bicycle")}


def gen_adjectives(rng):
    gi = rng.randrange(len(ADJ_GROUPS))
    side, other_side, nouns = ADJ_GROUPS[gi]
    if rng.random() < 0.5:
        side, other_side = other_side, side
    noun = rng.choice(nouns)
    adj = rng.choice(side)
    very = rng.random() < 0.15 and not set(side + other_side) & NOT_GRADABLE
    premise = f"The {noun} is {'very ' if very else ''}{adj}."
    r = rng.random()
    if r < 0.18:
        hyp, label = f"The {noun} is {rng.choice(side)}.", E
        if hyp == premise:
            return None
    elif r < 0.38:
        hyp, label = f"The {noun} is {rng.choice(other_side)}.", C
    elif r < 0.52:
        hyp, label = f"The {noun} is not {rng.choice(side)}.", C
    elif r < 0.66:
        hyp, label = f"The {noun} is not {rng.choice(other_side)}.", E
    elif r < 0.74:
        if very:
            hyp, label = f"The {noun} is {adj}.", E
        else:
            hyp, label = f"The {noun} is very {adj}.", N
    elif r < 0.88:
        others = [g for g in ADJ_GROUPS if noun in g[2] and g is not ADJ_GROUPS[gi]]
        if not others:
            return None
        g = rng.choice(others)
        hyp, label = f"The {noun} is {rng.choice(g[0] + g[1])}.", N
    else:
        other_noun = rng.choice([x for x in nouns if x != noun])
        hyp, label = f"The {other_noun} is {rng.choice(side)}.", N
    held = any((w, noun) in HELD_OUT_ADJ_NOUNS for w in side + other_side)
    return premise, hyp, label, "adjectives", ("adj", noun, adj), held, None


# ---------------------------------------------------------------------------------------------
# Verbs: synonyms ("Tom purchased a car." -> "Tom bought a car.")
# ---------------------------------------------------------------------------------------------

VERB_GROUPS = [  # [(past, base)], objects
    ([("bought", "buy"), ("purchased", "purchase")], ["a car", "a house", "a book", "a ticket", "a bike", "a laptop", "a dress", "a painting"]),
    ([("started", "start"), ("began", "begin")], ["the project", "the race", "the meeting", "a new job", "the course", "the game"]),
    ([("finished", "finish"), ("completed", "complete")], ["the project", "the race", "the report", "the course", "the puzzle", "the homework"]),
    ([("fixed", "fix"), ("repaired", "repair")], ["the car", "the bike", "the computer", "the roof", "the sink", "the phone", "the door"]),
    ([("closed", "close"), ("shut", "shut")], ["the door", "the window", "the shop", "the box", "the gate"]),
    ([("chose", "choose"), ("selected", "select"), ("picked", "pick")], ["a book", "a dress", "a song", "a restaurant", "a colour", "a present"]),
    ([("received", "receive"), ("got", "get")], ["a letter", "a package", "a gift", "a message", "a prize", "an email"]),
    ([("spoke to", "speak to"), ("talked to", "talk to")], ["the teacher", "the doctor", "the manager", "the neighbour", "the police"]),
    ([("looked for", "look for"), ("searched for", "search for")], ["the keys", "the wallet", "the dog", "the phone", "a job"]),
    ([("helped", "help"), ("assisted", "assist")], ["the old man", "the student", "the child", "the nurse", "the customer"]),
    ([("answered", "answer"), ("replied to", "reply to")], ["the letter", "the question", "the email", "the message"]),
    ([("left", "leave"), ("departed from", "depart from")], ["the station", "the city", "the airport", "the hotel"]),
]
TIMES_ADDED = ["yesterday", "last week", "on Monday", "in the morning", "at night", "two days ago"]


def gen_verbs(rng):
    group, objects = rng.choice(VERB_GROUPS)
    (past, base) = rng.choice(group)
    obj = rng.choice(objects)
    name = rng.choice(NAMES)
    premise = f"{name} {past} {obj}."
    r = rng.random()
    if r < 0.3:
        other = rng.choice([v for v in group if v[0] != past])
        hyp, label = f"{name} {other[0]} {obj}.", E
    elif r < 0.38:
        hyp, label = f"Someone {rng.choice(group)[0]} {obj}.", E
    elif r < 0.58:
        hyp, label = f"{name} did not {rng.choice(group)[1]} {obj}.", C
    elif r < 0.68:
        other = rng.choice([o for o in objects if o != obj])
        hyp, label = f"{name} {rng.choice(group)[0]} {other}.", N
    elif r < 0.8:
        other = rng.choice([x for x in NAMES if x != name])
        hyp, label = f"{other} {rng.choice(group)[0]} {obj}.", N
    elif r < 0.9:
        hyp, label = f"{name} {rng.choice(group)[0]} {obj} {rng.choice(TIMES_ADDED)}.", N
    else:
        hyp, label = f"Nobody {rng.choice(group)[0]} {obj}.", C
    return premise, hyp, label, "verbs", ("verbs", name, past, obj), False, None


# ---------------------------------------------------------------------------------------------
# Places: cities -> countries -> continents
# ---------------------------------------------------------------------------------------------

CITIES = {"Paris": ("France", "Europe"), "Lyon": ("France", "Europe"), "Berlin": ("Germany", "Europe"),
          "Munich": ("Germany", "Europe"), "Madrid": ("Spain", "Europe"), "Barcelona": ("Spain", "Europe"),
          "Rome": ("Italy", "Europe"), "Milan": ("Italy", "Europe"), "Tokyo": ("Japan", "Asia"),
          "Osaka": ("Japan", "Asia"), "Beijing": ("China", "Asia"), "Shanghai": ("China", "Asia"),
          "Delhi": ("India", "Asia"), "Mumbai": ("India", "Asia"), "Cairo": ("Egypt", "Africa"),
          "Nairobi": ("Kenya", "Africa"), "Lagos": ("Nigeria", "Africa"), "Toronto": ("Canada", "North America"),
          "Chicago": ("the United States", "North America"), "Boston": ("the United States", "North America"),
          "Lima": ("Peru", "South America"), "Sydney": ("Australia", None), "Moscow": ("Russia", None),
          "Istanbul": ("Turkey", None), "London": ("England", "Europe"), "Buenos Aires": ("Argentina", "South America")}
PLACE_FRAMES = [  # affirmative, negative
    ("{x} lives in {p}.", "{x} does not live in {p}."),
    ("{x} works in {p}.", "{x} does not work in {p}."),
    ("{x} was born in {p}.", "{x} was not born in {p}."),
    ("{x} is in {p} right now.", "{x} is not in {p} right now."),
    ("{x} is staying in {p} this week.", "{x} is not staying in {p} this week."),
    ("The conference took place in {p}.", "The conference did not take place in {p}."),
]


def gen_places(rng):
    fi = rng.randrange(len(PLACE_FRAMES))
    pos, negf = PLACE_FRAMES[fi]
    name = rng.choice(NAMES)
    city = rng.choice(list(CITIES))
    country, continent = CITIES[city]
    general = rng.random() < 0.25  # premise names the country
    premise = pos.format(x=name, p=country if general else city)
    other_cities = [c for c in CITIES if CITIES[c][0] != country]
    ocity = rng.choice(other_cities)
    ocountry = CITIES[ocity][0]
    r = rng.random()
    if general:
        if r < 0.3:
            hyp, label = pos.format(x=name, p=city), N
        elif r < 0.5 and continent:
            hyp, label = pos.format(x=name, p=continent), E
        elif r < 0.75:
            hyp, label = pos.format(x=name, p=rng.choice([ocity, ocountry])), C
        elif r < 0.88:
            hyp, label = negf.format(x=name, p=country), C
        else:
            hyp, label = negf.format(x=name, p=ocountry), E
    else:
        if r < 0.22:
            hyp, label = pos.format(x=name, p=country), E
        elif r < 0.32 and continent:
            hyp, label = pos.format(x=name, p=continent), E
        elif r < 0.52:
            hyp, label = pos.format(x=name, p=rng.choice([ocity, ocountry, rng.choice([c for c in CITIES if c != city])])), C
        elif r < 0.62:
            hyp, label = negf.format(x=name, p=rng.choice([city, country])), C
        elif r < 0.72:
            hyp, label = negf.format(x=name, p=rng.choice([ocity, ocountry])), E
        elif r < 0.84 and "{x}" in pos:
            hyp, label = pos.format(x=rng.choice([n for n in NAMES if n != name]), p=city), N
        else:
            ofi = rng.choice([i for i in range(len(PLACE_FRAMES)) if i != fi and "{x}" in PLACE_FRAMES[i][0]])
            if "{x}" not in pos:
                return None
            hyp, label = PLACE_FRAMES[ofi][0].format(x=name, p=city), N
            return premise, hyp, label, "places", ("places", fi, name, city, ofi), False, None
    return premise, hyp, label, "places", ("places", fi, city, general, hyp), False, None


# ---------------------------------------------------------------------------------------------
# Times: days, hours, months, years
# ---------------------------------------------------------------------------------------------

EVENTS = ["The meeting", "The party", "The concert", "The exam", "The game", "The wedding", "The interview",
          "The appointment", "The lecture", "The festival"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
SEASON = {m: s for m, s in zip(MONTHS, ["winter", "winter", "spring", "spring", "spring", "summer", "summer",
                                        "summer", "autumn", "autumn", "autumn", "winter"])}


def gen_times(rng):
    ev = rng.choice(EVENTS)
    which = rng.random()
    if which < 0.3:
        day = rng.choice(DAYS)
        weekend = day in ("Saturday", "Sunday")
        premise = f"{ev} is on {day}."
        r = rng.random()
        if r < 0.35:
            hyp, label = f"{ev} is on {rng.choice([d for d in DAYS if d != day])}.", C
        elif r < 0.6:
            w = rng.choice(["on a weekday", "at the weekend"])
            hyp, label = f"{ev} is {w}.", E if (w == "at the weekend") == weekend else C
        elif r < 0.75:
            hyp, label = f"{ev} is not on {day}.", C
        elif r < 0.88:
            hyp, label = f"{ev} is not on {rng.choice([d for d in DAYS if d != day])}.", E
        else:
            hyp, label = f"{ev} is on {day} {rng.choice(list(PARTS))}.", N
        return premise, hyp, label, "times", ("days", ev, day, hyp), False, None
    if which < 0.6:
        h24 = rng.choice(list(range(6, 12)) + list(range(13, 22)))
        part = "morning" if h24 < 12 else "afternoon" if h24 < 18 else "evening"
        shown = f"{h24 if h24 < 12 else h24 - 12} {'am' if h24 < 12 else 'pm'}"
        if rng.random() < 0.3:
            shown = f"{h24}:00"
        premise = f"{ev} starts at {shown}."
        r = rng.random()
        if r < 0.45:
            p2 = rng.choice(["morning", "afternoon", "evening"])
            hyp, label = f"{ev} starts in the {p2}.", E if p2 == part else C
        elif r < 0.7:
            w = rng.choice(["before noon", "after noon"])
            hyp, label = f"{ev} starts {w}.", E if (w == "before noon") == (h24 < 12) else C
        elif r < 0.85:
            o = rng.choice([x for x in range(6, 22) if x not in (12, h24)])
            hyp, label = f"{ev} starts at {o if o < 12 else o - 12} {'am' if o < 12 else 'pm'}.", C
        else:
            hyp, label = f"{ev} starts at {shown} on {rng.choice(DAYS)}.", N
        return premise, hyp, label, "times", ("hours", ev, h24, hyp), False, None
    if which < 0.8:
        month = rng.choice(MONTHS)
        premise = f"{ev} is in {month}."
        r = rng.random()
        if r < 0.5:
            s = rng.choice(["winter", "spring", "summer", "autumn"])
            hyp, label = f"{ev} is in the {s}.", E if SEASON[month] == s else C
        elif r < 0.8:
            hyp, label = f"{ev} is in {rng.choice([m for m in MONTHS if m != month])}.", C
        else:
            hyp, label = f"{ev} is in {month} {rng.choice(['2024', '2025', 'next year'])}.", N
        return premise, hyp, label, "times", ("months", ev, month, hyp), False, None
    name = rng.choice(NAMES)
    year = rng.randrange(1950, 2021)
    verb = rng.choice(["was born", "moved to Paris", "got married", "started school", "bought a house"])
    premise = f"{name} {verb} in {year}."
    r = rng.random()
    y2 = rng.randrange(1950, 2021, 5)
    if y2 == year:
        return None
    if r < 0.4:
        hyp, label = f"{name} {verb} before {y2}.", E if year < y2 else C
    elif r < 0.8:
        hyp, label = f"{name} {verb} after {y2}.", E if year > y2 else C
    else:
        decade = rng.choice([year // 10 * 10, rng.randrange(1950, 2021, 10)])
        hyp, label = f"{name} {verb} in the {decade}s.", E if year // 10 * 10 == decade else C
    return premise, hyp, label, "times", ("years", year, y2, hyp), False, None


# ---------------------------------------------------------------------------------------------
# Zero-shot classification pairs: "<sentence on a topic>" / "This example is {label}."
# ---------------------------------------------------------------------------------------------

TOPIC_LABELS = {  # topic: the label names that mean it
    "sports": ["sports", "sport"],
    "politics": ["politics", "government"],
    "cooking": ["cooking", "food"],
    "music": ["music"],
    "technology": ["technology", "tech", "computers"],
    "weather": ["weather"],
    "travel": ["travel", "tourism"],
    "health": ["health", "medicine"],
    "finance": ["finance", "business", "economy", "money"],
    "science": ["science"],
    "education": ["education", "school"],
    "movies": ["movies", "film", "cinema"],
}
SENTIMENT_LABELS = {"positive": ["positive"], "negative": ["negative"]}

# topic: (subjects, predicates, noun phrases for the shared frames, whole sentences)
TOPICS = {
    "sports": (
        ["The team", "Our club", "The home side", "The national team", "The visiting team", "The champions",
         "The striker", "The tennis player", "The goalkeeper", "The runner", "The quarterback", "The coach",
         "The young swimmer", "The cyclist"],
        ["won the match three to one", "lost the final on penalties", "scored twice in the second half",
         "won the championship last night", "signed a new contract with the club", "was sent off by the referee",
         "reached the semifinal of the tournament", "broke the world record", "won a gold medal at the Olympics",
         "is training hard for the next season", "beat the defending champions", "qualified for the World Cup",
         "missed a penalty in the last minute", "finished first in the race", "celebrated the victory with the fans"],
        ["the football match", "the basketball game", "the tennis tournament", "the Olympic Games", "the World Cup",
         "the final score", "the new coach", "the marathon", "the baseball season", "the hockey playoffs",
         "the cycling race", "the golf championship", "the boxing match", "the league table", "the rugby final",
         "the ski race", "the transfer of the striker", "yesterday's game"],
        ["The referee blew the whistle and the crowd cheered.", "The stadium was full for the final.",
         "He scored a goal in the last minute of the game.", "She runs ten kilometres every morning before training.",
         "The team won the game by two points.", "Both teams played well, but the match ended in a draw."],
    ),
    "politics": (
        ["The president", "The prime minister", "The government", "The senator", "Parliament", "The opposition party",
         "The mayor", "The minister", "The governor", "Voters", "The candidate", "Congress"],
        ["announced a new law on immigration", "won the election by a small margin", "voted against the new bill",
         "promised to lower taxes", "gave a speech about democracy", "resigned after the scandal",
         "signed a treaty with the neighbouring country", "called for an early election", "lost the vote in parliament",
         "criticised the foreign policy of the government", "launched a campaign for re-election",
         "appointed a new minister of defence", "debated the reform for hours", "went to the polls on Sunday"],
        ["the election", "the new president", "the parliament vote", "the prime minister's speech", "the campaign",
         "the government's policy", "the opposition party", "voting rights", "the new law", "the senate debate",
         "the referendum", "the political crisis", "the presidential debate", "the cabinet reshuffle",
         "the peace talks", "the coalition government"],
        ["The votes are still being counted in several states.", "The party chose a new leader last week.",
         "Thousands of people protested against the government.", "The new law passed with a large majority.",
         "The election campaign starts next month.", "The minister denied all the accusations."],
    ),
    "cooking": (
        ["The chef", "My grandmother", "The recipe", "My father", "The cook", "She", "He", "The baker"],
        ["adds garlic and onions to the pan", "bakes fresh bread every morning", "made a delicious pasta sauce",
         "roasted the chicken with lemon and herbs", "uses fresh tomatoes and basil", "whisked the eggs with sugar",
         "fried the potatoes in olive oil", "needs two cups of flour and a pinch of salt", "cooked rice with vegetables",
         "served the soup with warm bread", "chopped the onions and carrots", "baked a chocolate cake for dessert",
         "grilled the fish for ten minutes", "stirred the sauce until it was thick"],
        ["the recipe", "baking bread", "the pasta sauce", "the chocolate cake", "roasting vegetables",
         "grilling fish", "the new cookbook", "homemade pizza", "the best way to cook rice", "the soup recipe",
         "Italian cuisine", "making dumplings", "the spices in this curry", "a vegetarian dinner", "kitchen knives",
         "the ingredients for the salad"],
        ["Preheat the oven to two hundred degrees.", "Mix the flour, butter and sugar in a large bowl.",
         "Let the dough rest for an hour before baking.", "Add salt and pepper to taste.",
         "Boil the pasta for eight minutes and drain it.", "I love making pizza with fresh tomatoes."],
    ),
    "music": (
        ["The band", "The singer", "The orchestra", "The guitarist", "The pianist", "The rapper", "The choir",
         "The composer", "The drummer", "The pop star"],
        ["released a new album last week", "played a concert in front of thousands of fans",
         "is going on a world tour", "wrote a song about love", "won a Grammy award", "recorded a new single",
         "performed the symphony beautifully", "sang the national anthem", "topped the charts with the new song",
         "played a long guitar solo", "cancelled the concert", "practised the piano for hours"],
        ["the new album", "the concert", "the rock band", "the jazz festival", "classical music", "the music video",
         "the singer's world tour", "the top ten songs", "the orchestra", "the song lyrics", "hip hop",
         "the guitar solo", "the opera", "the music festival"],
        ["The crowd sang along to every song.", "This album has the best songs of the year.",
         "The melody of this song is beautiful.", "The band played until midnight.",
         "She has been playing the violin since she was five.", "The concert tickets sold out in minutes."],
    ),
    "technology": (
        ["The new phone", "The company", "The software update", "The app", "The laptop", "The computer",
         "The startup", "Engineers", "The robot", "The new chip"],
        ["has a faster processor and a better camera", "released a new version of its operating system",
         "fixes several security bugs", "uses artificial intelligence to answer questions",
         "can run for twelve hours on one charge", "crashed after the latest update", "launched a new smartphone",
         "stores all the data in the cloud", "has a bigger screen and more memory",
         "was hacked and millions of passwords were stolen", "built a faster computer chip",
         "connects to the internet without cables", "is learning to write code"],
        ["the new smartphone", "artificial intelligence", "the software update", "computer programming",
         "the internet", "cyber security", "the latest laptop", "social media apps", "robots", "the new processor",
         "cloud computing", "machine learning", "the video game console", "the operating system", "electric cars"],
        ["My computer keeps crashing when I open the browser.", "Restart the router to fix the internet connection.",
         "The website was down for two hours.", "Install the latest update to fix the bug.",
         "The new phone has a great camera and a long battery life.", "I forgot the password for my email account."],
    ),
    "weather": (
        ["The forecast says", "The weather service says", "Meteorologists say", "The radio said", "According to the forecast,"],
        ["it will rain all day tomorrow", "a storm will hit the coast tonight", "temperatures will drop below freezing",
         "it will be sunny and warm this weekend", "heavy snow is expected in the mountains",
         "strong winds will blow from the north", "there will be thunderstorms in the afternoon",
         "the heat wave will continue", "the sky will clear up by noon", "it will be cloudy and cold",
         "there is a chance of showers", "a hurricane is approaching", "the fog will lift in the morning"],
        ["the weather forecast", "the storm", "the heat wave", "the heavy rain", "the snowstorm", "the temperature",
         "the hurricane", "the cold front", "the thunderstorm", "the strong winds", "the sunny weather", "the fog"],
        ["It is raining heavily outside.", "The sun is shining and there is not a cloud in the sky.",
         "It snowed all night and the streets are white.", "What a hot and humid day!",
         "Take an umbrella, it looks like rain.", "The wind is so strong that trees are falling."],
    ),
    "travel": (
        ["We", "My parents", "The tourists", "They", "The travellers", "Our friends", "My cousins", "The backpackers"],
        ["booked a flight to Rome for the holidays", "stayed in a small hotel near the beach",
         "visited three countries in two weeks", "missed the train to the airport", "are planning a trip to Japan",
         "packed their suitcases for the vacation", "explored the old town on foot", "took a cruise around the islands",
         "rented a car to drive along the coast", "want to see the world one day", "went sightseeing in Paris",
         "got their passports stamped at the border", "are looking for cheap flights"],
        ["the summer holiday", "the trip to Italy", "the flight", "the hotel booking", "the road trip",
         "the best places to visit", "our vacation", "the cruise", "backpacking in Asia", "the tourist attractions",
         "the new airport", "travel insurance", "the train journey", "sightseeing tours"],
        ["Our flight was delayed by three hours.", "The hotel room had a view of the sea.",
         "Don't forget your passport and your boarding pass.", "I want to travel around the world next year.",
         "The museum is the most popular attraction in the city.", "We spent two weeks exploring the islands."],
    ),
    "health": (
        ["The doctor", "The patient", "The hospital", "Researchers", "The nurse", "The new vaccine", "The study",
         "My doctor"],
        ["recommends eating more vegetables and sleeping eight hours", "treated hundreds of patients with the flu",
         "found that regular exercise lowers blood pressure", "prescribed antibiotics for the infection",
         "is recovering after the surgery", "protects against the virus", "warned about the risks of smoking",
         "needs to take the medicine twice a day", "has a high fever and a bad cough",
         "shows that stress can cause heart disease", "opened a new clinic for children"],
        ["the flu", "the new vaccine", "healthy eating", "heart disease", "mental health", "the hospital",
         "the surgery", "the medicine", "blood pressure", "sleep and stress", "the virus", "diabetes",
         "physical therapy", "the dentist appointment"],
        ["I have a headache and a sore throat.", "Drink plenty of water and get some rest.",
         "The doctor said my blood pressure is too high.", "Wash your hands to stop the spread of germs.",
         "She has been in hospital since Monday.", "Regular exercise is good for your heart."],
    ),
    "finance": (
        ["The bank", "The stock market", "The company", "Investors", "The central bank", "Shares of the company",
         "The economy", "The firm", "Oil prices"],
        ["raised interest rates by half a percent", "fell sharply after the report", "reported record profits this quarter",
         "lost billions of dollars", "grew by three percent last year", "is buying a smaller competitor",
         "cut two thousand jobs", "paid a large dividend to shareholders", "rose to the highest level in a year",
         "borrowed money to expand", "went bankrupt", "warned that inflation will stay high"],
        ["the stock market", "interest rates", "inflation", "the company's profits", "the budget", "taxes",
         "the bank loan", "the housing market", "the price of oil", "the quarterly earnings", "investing in shares",
         "the trade deficit", "the merger", "the unemployment rate", "saving money"],
        ["The price of bread went up again this month.", "I need to pay my credit card bill.",
         "The shares lost ten percent of their value in one day.", "Sales grew faster than expected.",
         "We are saving money to buy a house.", "The company is looking for new investors."],
    ),
    "science": (
        ["Scientists", "Astronomers", "The researchers", "Physicists", "The biologist", "The space agency",
         "Chemists", "The telescope"],
        ["discovered a new planet outside our solar system", "found a new species of frog in the rainforest",
         "published a paper on black holes", "launched a rocket to the moon", "measured the speed of light again",
         "sequenced the genome of the plant", "observed a distant galaxy", "found water on Mars",
         "created a new material in the lab", "studied the fossils of dinosaurs", "tested the theory with an experiment"],
        ["the experiment", "black holes", "the new planet", "evolution", "the theory of relativity", "the laboratory",
         "the space mission", "dinosaur fossils", "climate research", "the periodic table", "quantum physics",
         "the human genome", "the telescope"],
        ["The experiment confirmed the hypothesis.", "Light travels faster than sound.",
         "Water boils at one hundred degrees at sea level.", "The rover sent new pictures from Mars.",
         "Atoms are made of protons, neutrons and electrons.", "The results of the study were published in a journal."],
    ),
    "education": (
        ["The school", "The teacher", "The students", "The university", "The principal", "My son", "The class",
         "The professor"],
        ["has a new maths curriculum", "passed the final exam", "gave the class a lot of homework",
         "offers free courses online", "graduated with honours", "is hiring more teachers",
         "studied for the test all night", "closed for the summer holidays", "started a reading programme",
         "raised the tuition fees", "learned to read and write"],
        ["the final exams", "homework", "the new school year", "the university", "the curriculum", "online courses",
         "the students' grades", "the teachers' strike", "student loans", "the classroom", "learning to read",
         "the school library", "the entrance exam"],
        ["The children go back to school on Monday.", "The exam results will be published next week.",
         "She got the best grade in her class.", "The lecture was about the history of Rome.",
         "Students must hand in their essays by Friday.", "He is studying to become a teacher."],
    ),
    "movies": (
        ["The film", "The new movie", "The director", "The actor", "The actress", "The sequel", "The studio",
         "The documentary"],
        ["won an Oscar for best picture", "was a hit at the box office", "will be released in cinemas next month",
         "starred in the new action film", "has a surprising twist at the end", "is filming in New Zealand",
         "was nominated for an award", "is the third film in the series", "got great reviews from the critics",
         "lasts almost three hours"],
        ["the new film", "the movie trailer", "the Oscars", "the film festival", "the actor's performance",
         "the box office", "the director's new movie", "the horror film", "the cinema", "the sequel",
         "the animated movie", "the film's soundtrack"],
        ["The movie starts at eight at the cinema.", "The actors were great and the story was exciting.",
         "We watched a comedy last night.", "The special effects in the film were amazing.",
         "The director is working on a new thriller.", "The film is based on a famous novel."],
    ),
}
SHARED_FRAMES = ["I read an article about {}.", "We talked about {} all evening.", "The news today was about {}.",
                 "My friend keeps talking about {}.", "There was a long report on {} this morning.",
                 "She wrote a blog post about {}.", "Everyone is discussing {}.", "The podcast this week covers {}.",
                 "He asked me a question about {}.", "The newspaper published a story about {}.",
                 "What do you think about {}?", "Tell me more about {}.", "I am very interested in {}.",
                 "Have you heard the latest news about {}?"]
TEST_SHARED_FRAMES = ["Yesterday's radio show focused on {}.", "I watched a video about {}."]

SENTIMENT = {
    "positive": ["was absolutely wonderful", "is great and I loved it", "exceeded my expectations", "was fantastic",
                 "made me very happy", "is the best I have ever tried", "works perfectly", "was a pleasant surprise",
                 "was excellent", "is amazing, I would recommend it to everyone"],
    "negative": ["was terrible", "is a complete waste of money", "was boring and far too long", "broke after two days",
                 "was very disappointing", "is the worst I have ever tried", "made me angry", "was awful",
                 "was a disaster", "is bad, I would not recommend it to anyone"],
}
SENTIMENT_SUBJECTS = ["This movie", "The food", "The hotel", "This phone", "The service", "The book", "This product",
                      "The concert", "The restaurant", "This game", "The staff", "The trip"]
SENTIMENT_WHOLE = {"positive": ["I loved it!", "Highly recommended.", "Five stars, I am very happy with it.",
                                "What a great day!", "Thank you so much, this is perfect."],
                   "negative": ["I hated it.", "Never again.", "One star, I want my money back.",
                                "What a terrible day.", "This is the worst, I am so disappointed."]}

ZS_TEMPLATES = ["This example is {}.", "This example is {}.", "This example is {}.", "This text is about {}.",
                "This text is about {}.", "This is about {}.", "This example is about {}.", "The topic is {}.",
                "This sentence is about {}.", "The topic of this text is {}."]
TEST_ZS_TEMPLATES = ["This article is about {}.", "The subject is {}."]
SENTIMENT_TEMPLATES = ["This example is {}.", "This example is {}.", "This review is {}.", "The sentiment is {}.",
                       "This text is {}."]


RECIPE_VERBS = ["Boil", "Chop", "Fry", "Bake", "Stir", "Slice", "Peel", "Grill", "Roast", "Season", "Mix", "Heat",
                "Cook", "Add"]
RECIPE_FOODS = ["the pasta", "the onions", "the eggs", "the potatoes", "the flour and the sugar", "the chicken",
                "the rice", "the vegetables", "the garlic", "the dough", "the sauce", "the carrots", "the butter",
                "the tomatoes", "the fish", "the beef"]
RECIPE_TAILS = ["for ten minutes", "in a large pan", "until golden", "with olive oil", "and serve hot",
                "over a low heat", "in the oven", "with salt and pepper", "for twenty minutes", "in a bowl",
                "before adding the cheese", "until soft"]


def topic_sentence(rng, topic):
    subjects, preds, phrases, whole = TOPICS[topic]
    if topic == "cooking" and rng.random() < 0.3:
        return f"{rng.choice(RECIPE_VERBS)} {rng.choice(RECIPE_FOODS)} {rng.choice(RECIPE_TAILS)}.", False
    r = rng.random()
    if r < 0.45:
        s = f"{rng.choice(subjects)} {rng.choice(preds)}."
        return s, False
    if r < 0.85:
        frame = rng.choice(TEST_SHARED_FRAMES if rng.random() < 0.04 else SHARED_FRAMES)
        return frame.format(rng.choice(phrases)), frame in TEST_SHARED_FRAMES
    return rng.choice(whole), False


def case_variant(rng, s, p_lower=0.12):
    r = rng.random()
    if r < p_lower:
        return s.lower()
    if r < p_lower + 0.04:
        return s.rstrip(".")
    return s


def label_variant(rng, label):
    r = rng.random()
    if r < 0.25:
        return cap(label)
    if r < 0.28:
        return label.upper()
    return label


def gen_zero_shot(rng, premise=None, topic=None):
    """One premise with one right and one or two wrong labels -> several pairs."""
    held = False
    if premise is None:
        if rng.random() < 0.12:
            topic = rng.choice(list(SENTIMENT))
            if rng.random() < 0.75:
                premise = f"{rng.choice(SENTIMENT_SUBJECTS)} {rng.choice(SENTIMENT[topic])}."
            else:
                premise = rng.choice(SENTIMENT_WHOLE[topic])
        else:
            topic = rng.choice(list(TOPICS))
            premise, held = topic_sentence(rng, topic)
    sentiment = topic in SENTIMENT_LABELS
    groups = SENTIMENT_LABELS if sentiment else TOPIC_LABELS
    if sentiment:
        template = rng.choice(SENTIMENT_TEMPLATES)
    else:
        template = rng.choice(TEST_ZS_TEMPLATES if rng.random() < 0.04 else ZS_TEMPLATES)
    held = held or template in TEST_ZS_TEMPLATES
    premise_v = case_variant(rng, premise)
    out = []
    right = rng.choice(groups[topic])
    wrong_topics = rng.sample([t for t in groups if t != topic], min(len(groups) - 1, rng.choice([1, 1, 2])))
    pairs = [(right, E)] + [(rng.choice(groups[t]), C) for t in wrong_topics]
    for label_name, label in pairs:
        hyp = template.format(label_variant(rng, label_name))
        out.append((premise_v, hyp, label, "zero-shot" if not sentiment else "zero-shot-sentiment",
                    ("zs", premise.lower()), held, None))
    return out


# ---------------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------------

GENERATORS = [  # (generator, relative number of draws)
    (gen_scene, 30), (gen_scene_negated, 3), (gen_counting, 12), (gen_roles, 8), (gen_comparative, 5),
    (gen_adjectives, 10), (gen_verbs, 5), (gen_places, 7), (gen_times, 5), (gen_zero_shot, 13),
]


def build_corpus(n_train, seed):
    """Returns (train, test): lists of (premise, hypothesis, label, kind, held_template)."""
    rng = random.Random(seed)
    funcs = [g for g, _ in GENERATORS]
    weights = [w for _, w in GENERATORS]
    seen = set()
    train, test = [], []
    while len(train) < n_train:
        gen = rng.choices(funcs, weights)[0]
        produced = gen(rng)
        if produced is None:
            continue
        batch = produced if isinstance(produced, list) else [produced]
        if gen is gen_scene and batch[0][6] and rng.random() < 0.35:
            # a scene with a topic also makes zero-shot pairs ("A man is playing a guitar." -> music)
            zs = gen_zero_shot(rng, premise=batch[0][0], topic=batch[0][6])
            batch += [(p, h, l, "zero-shot-scene", batch[0][4], batch[0][5], None) for p, h, l, _, _, _, _ in zs]
        for premise, hyp, label, kind, key, held, _ in batch:
            if not kind.startswith("zero-shot"):
                premise, hyp = case_variant(rng, premise, 0.06), case_variant(rng, hyp, 0.06)
            if (premise, hyp) in seen:
                continue
            seen.add((premise, hyp))
            is_test = held or key_in_test(*key)
            (test if is_test else train).append((premise, hyp, label, kind, held))
    in_train = {(p.lower(), h.lower()) for p, h, *_ in train}
    test = [t for t in test if (t[0].lower(), t[1].lower()) not in in_train]
    return train, test


# =============================================================================================
# 2. Tokenizer
# =============================================================================================

SPM_VOCAB = 1700
SPECIAL = {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "[UNK]": 3}
MAX_LEN = 128


def train_tokenizer(texts, out: Path):
    """spm.model (+ tokenizer_config.json) in `out`; returns the [MASK] id."""
    import io
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model, model_type="unigram", vocab_size=SPM_VOCAB,
        character_coverage=1.0, required_chars="".join(c for c in string.printable if c.isprintable() and c != " "),
        pad_id=0, bos_id=1, eos_id=2, unk_id=3, pad_piece="[PAD]", bos_piece="[CLS]", eos_piece="[SEP]",
        unk_piece="[UNK]", normalization_rule_name="nmt_nfkc", byte_fallback=False, split_digits=False,
        input_sentence_size=0, shuffle_input_sentence=False, num_threads=1, minloglevel=2,
        hard_vocab_limit=False)  # only matters for tiny --train-pairs smoke runs
    (out / "spm.model").write_bytes(model.getvalue())
    mask_id = spm.SentencePieceProcessor(model_file=str(out / "spm.model")).get_piece_size()
    tokens = dict(SPECIAL, **{"[MASK]": mask_id})
    config = {  # the layout transformers writes for microsoft/deberta-v3-base
        "added_tokens_decoder": {
            str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                     "special": True} for t, i in tokens.items()},
        "bos_token": "[CLS]",
        "clean_up_tokenization_spaces": False,
        "cls_token": "[CLS]",
        "do_lower_case": False,
        "eos_token": "[SEP]",
        "mask_token": "[MASK]",
        "model_max_length": MAX_LEN,
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "sp_model_kwargs": {},
        "split_by_punct": False,
        "tokenizer_class": "DebertaV2Tokenizer",
        "unk_token": "[UNK]",
        "vocab_type": "spm",
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return mask_id


# =============================================================================================
# 3. Model
# =============================================================================================

HIDDEN, LAYERS, HEADS = 128, 3, 4


def model_config(vocab_size):
    """deberta-v3-style, keys in the order of the Hub's config.json files."""
    return {
        "architectures": ["DebertaV2ForSequenceClassification"],
        "model_type": "deberta-v2",
        "attention_probs_dropout_prob": 0.0,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "hidden_size": HIDDEN,
        "initializer_range": 0.02,
        "intermediate_size": 4 * HIDDEN,
        "max_position_embeddings": MAX_LEN,
        "relative_attention": True,
        "position_buckets": 32,
        "norm_rel_ebd": "layer_norm",
        "share_att_key": True,
        "pos_att_type": ["p2c", "c2p"],
        "layer_norm_eps": 1e-7,
        "max_relative_positions": -1,
        "position_biased_input": False,
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "type_vocab_size": 0,
        "vocab_size": vocab_size,
        "pooler_dropout": 0,
        "pooler_hidden_act": "gelu",
        "pooler_hidden_size": HIDDEN,
        "id2label": {str(k): v for k, v in ID2LABEL.items()},
        "label2id": LABEL2ID,
    }


def encode(tok, rows):
    enc = tok([r[0] for r in rows], [r[1] for r in rows], truncation=True, max_length=MAX_LEN)
    return enc["input_ids"], [LABEL2ID[r[2]] for r in rows]


def collate(torch, seqs):
    width = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), width, dtype=torch.long)  # 0 = [PAD]
    mask = torch.zeros(len(seqs), width, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return ids, mask


def length_batches(lengths, batch_size, rng):
    """Shuffled batches of similar length (less padding)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 64
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def predict(torch, model, ids, batch_size=256):
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    preds = [0] * len(ids)
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            x, mask = collate(torch, [ids[i] for i in chunk])
            logits = model(input_ids=x, attention_mask=mask).logits
            for i, p in zip(chunk, logits.argmax(-1).tolist()):
                preds[i] = p
    return preds


def alignment_loss(torch, head, hidden_states, ids, mask):
    """Auxiliary training loss (the head is thrown away): every layer predicts, for each token,
    whether the same token occurs in the other sentence of the pair. This dense signal teaches
    premise/hypothesis alignment much faster than the pair label alone (a from-scratch model
    has no pretraining to lean on)."""
    sep = (ids == 2).long()
    segment = (sep.cumsum(-1) - sep).clamp(max=1)
    other_side = (segment[:, :, None] != segment[:, None, :]) & (mask[:, None, :] == 1)
    target = ((ids[:, :, None] == ids[:, None, :]) & other_side).any(-1).float()
    real = (ids > 3) & (mask == 1)  # not [PAD] [CLS] [SEP] [UNK]
    losses = [torch.nn.functional.binary_cross_entropy_with_logits(head(h).squeeze(-1)[real], target[real])
              for h in hidden_states[1:]]
    return sum(losses) / len(losses)


def train_model(torch, model, train_ids, train_labels, eval_ids, eval_labels, steps, batch_size, lr, seed):
    from torch.optim import AdamW

    rng = random.Random(seed)
    aux_head = torch.nn.Linear(model.config.hidden_size, 1)
    params = list(model.parameters()) + list(aux_head.parameters())
    opt = AdamW(params, lr=lr, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01)
    warmup = max(1, steps // 12)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))))
    lengths = [len(s) for s in train_ids]
    labels = torch.tensor(train_labels)
    step, epoch, t0, running = 0, 0, time.time(), []
    while step < steps:
        epoch += 1
        for batch in length_batches(lengths, batch_size, rng):
            if step >= steps:
                break
            model.train()
            x, mask = collate(torch, [train_ids[i] for i in batch])
            out = model.deberta(input_ids=x, attention_mask=mask, output_hidden_states=True)
            logits = model.classifier(model.pooler(out.last_hidden_state))  # = model(...).logits (no dropout)
            loss = torch.nn.functional.cross_entropy(logits, labels[batch])
            total = loss + alignment_loss(torch, aux_head, out.hidden_states, x, mask)
            opt.zero_grad(set_to_none=True)
            total.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            running.append(loss.item())
            if step % 250 == 0 or step == steps:
                msg = f"  step {step}/{steps} epoch {epoch} loss {sum(running) / len(running):.4f} " \
                      f"lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f}s"
                running = []
                if step % 1000 == 0 or step == steps:
                    preds = predict(torch, model, eval_ids)
                    acc = sum(p == y for p, y in zip(preds, eval_labels)) / len(eval_labels)
                    msg += f"  test-sample acc {acc:.4f}"
                print(msg, flush=True)
    return time.time() - t0


# =============================================================================================
# 4. Evaluation
# =============================================================================================


def evaluate(preds, rows):
    def acc(idx):
        idx = list(idx)
        return (sum(preds[i] == LABEL2ID[rows[i][2]] for i in idx) / len(idx), len(idx)) if idx else (None, 0)

    everything = range(len(rows))
    return {
        "overall": acc(everything),
        "per_class": {ID2LABEL[k]: acc(i for i in everything if LABEL2ID[rows[i][2]] == k) for k in (2, 1, 0)},
        "per_kind": {kind: acc(i for i in everything if rows[i][3] == kind) for kind in sorted({r[3] for r in rows})},
        "held_out_templates": acc(i for i in everything if rows[i][4]),
        "held_out_combinations_only": acc(i for i in everything if not rows[i][4]),
    }


def print_report(title, report):
    (a, n) = report["overall"]
    print(f"{title}: overall {a:.4f} (n={n})")
    for name, (a, n) in report["per_class"].items():
        print(f"    {name:14s} {a:.4f} (n={n})")
    for name, (a, n) in report["per_kind"].items():
        print(f"    {name:22s} {a:.4f} (n={n})")
    for name in ("held_out_templates", "held_out_combinations_only"):
        a, n = report[name]
        print(f"    {name:26s} {a:.4f} (n={n})")


# =============================================================================================
# 5. Goldens
# =============================================================================================

GOLDEN_PAIRS = [
    ("A man is playing a guitar on stage.", "A person is making music.", E),
    ("A man is playing a guitar on stage.", "The man is sleeping.", C),
    ("A woman is reading a book in the park.", "A woman is reading a book in the park with a friend.", N),
    ("There are three apples on the table.", "There are more than two apples on the table.", E),
    ("There are three apples on the table.", "There are fewer than two apples on the table.", C),
    ("The cat chased the dog.", "The dog was chased by the cat.", E),
    ("The cat chased the dog.", "The dog chased the cat.", N),
    ("Anna lives in Paris.", "Anna lives in Europe.", E),
    ("The room is big.", "The room is small.", C),
]

ZERO_SHOT_CALLS = [  # text, candidate labels, hypothesis template (None: the pipeline's default), multi_label
    ("The team won the championship last night.", ["sports", "politics", "cooking"], None, False),
    ("The president gave a speech about the new law.", ["sports", "politics", "cooking"], None, False),
    ("Preheat the oven and mix the flour with the sugar.", ["sports", "politics", "cooking"], None, False),
    ("The new phone has a faster processor and a better camera.", ["technology", "music", "weather", "travel"],
     None, True),
    ("It will rain all day tomorrow and the wind will be strong.", ["weather", "finance", "health", "music", "travel"],
     "This text is about {}.", False),
    ("The band released a new album last week.", ["music", "science", "education"], "This text is about {}.", True),
    ("The hotel was terrible and the staff was rude.", ["positive", "negative"], None, False),
    ("The band released a new album last week.", ["music"], None, False),
    ("one day I will see the world", ["travel", "cooking", "dancing"], None, False),
]
QUICK_START_LABELS = ["sports", "politics", "cooking"]
QUICK_START_TEXTS = [c[0] for c in ZERO_SHOT_CALLS[:3]] + [
    "The senator lost the vote in parliament.",
    "Boil the pasta for ten minutes.", "The striker scored twice in the final."]


def write_json(path: Path, obj):
    """Indented JSON with every innermost number list on one line (as scripts/make_fixtures.py)."""
    text = json.dumps(obj, indent=1)
    text = re.sub(r"\[\s+([-+0-9.eE,\s]+?)\s+\]", lambda m: "[" + re.sub(r"\s+", "", m.group(1)) + "]", text)
    path.write_text(text + "\n")


def f32(x):
    """The shortest decimal that round-trips the float32."""
    import numpy as np
    return float(str(np.float32(x)))


def sp_encode_pair(sp, a, b):
    return [1] + sp.encode(a) + [2] + sp.encode(b) + [2]


def make_goldens(torch, out: Path):
    import sentencepiece as spm
    import transformers
    from transformers import AutoTokenizer, DebertaV2ForSequenceClassification, pipeline

    tok = AutoTokenizer.from_pretrained(str(out))
    model = DebertaV2ForSequenceClassification.from_pretrained(str(out), dtype=torch.float32).float().eval()
    sp = spm.SentencePieceProcessor(model_file=str(out / "spm.model"))
    mismatches = []

    def check(a, b, ids):
        ref = sp_encode_pair(sp, a, b)
        if ref != ids:
            mismatches.append((a, b, ids, ref))

    pairs = []
    with torch.no_grad():
        for premise, hyp, expected in GOLDEN_PAIRS:
            enc = tok(premise, hyp)
            check(premise, hyp, enc["input_ids"])
            logits = model(input_ids=torch.tensor([enc["input_ids"]])).logits[0]
            label = ID2LABEL[int(logits.argmax())]
            if label != expected:
                print(f"  note: golden pair predicted {label}, expected {expected}: {premise!r} / {hyp!r}")
            pairs.append({"premise": premise, "hypothesis": hyp, "input_ids": enc["input_ids"],
                          "token_type_ids": enc["token_type_ids"], "logits": [f32(v) for v in logits.tolist()],
                          "label": label, "expected": expected})

    clf = pipeline("zero-shot-classification", model=str(out), dtype=torch.float32, device="cpu")
    assert next(clf.model.parameters()).dtype == torch.float32
    default_template = "This example is {}."
    zero_shot = []
    for text, labels, template, multi in ZERO_SHOT_CALLS:
        kwargs = {"multi_label": multi}
        if template:
            kwargs["hypothesis_template"] = template
        result = clf(text, labels, **kwargs)
        for label in labels:
            hyp = (template or default_template).format(label)
            check(text, hyp, tok(text, hyp)["input_ids"])
        zero_shot.append({"text": text, "candidate_labels": labels, "hypothesis_template": template or default_template,
                          "multi_label": multi, "labels": result["labels"],
                          "scores": [float(s) for s in result["scores"]]})
    quick = []
    for text in QUICK_START_TEXTS:
        result = clf(text, QUICK_START_LABELS)
        quick.append((text, result["labels"], result["scores"]))
    if mismatches:
        print(f"WARNING: transformers' tokenizer and sentencepiece disagree on {len(mismatches)} golden texts:")
        for a, b, ids, ref in mismatches:
            print(f"   {a!r} / {b!r}\n     transformers {ids}\n     sentencepiece {ref}")
    else:
        print("  tokenizer check: transformers == sentencepiece ([CLS] A [SEP] B [SEP]) on every golden text")
    doc = {
        "about": "examples/synthetic-nli goldens from Hugging Face transformers, fp32 model loaded from the saved "
                 "fp16 pytorch_model.bin (scripts/train_example_nli.py)",
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "id2label": {str(k): v for k, v in ID2LABEL.items()},
        "pairs": pairs,
        "zero_shot": zero_shot,
    }
    return doc, quick, mismatches


# =============================================================================================
# 6. README
# =============================================================================================


def write_readme(out: Path, config, report, n_train, n_test, args, files, zero_shot, pairs):
    def pct(x):
        return f"{100 * x[0]:.1f} % ({x[1]} pairs)"

    kinds = "\n".join(f"| {k} | {pct(v)} |" for k, v in report["per_kind"].items())
    classes = "\n".join(f"| {k} | {pct(v)} |" for k, v in report["per_class"].items())
    zs = "\n".join(
        f"| {z['text']} | {', '.join(z['candidate_labels'])} | {'multi' if z['multi_label'] else 'single'}, "
        f"`{z['hypothesis_template']}` | **{z['labels'][0]}** ({z['scores'][0]:.3f}) |" for z in zero_shot)
    pr = "\n".join(f"| {p['premise']} | {p['hypothesis']} | {p['label']} |" for p in pairs)
    text = f"""# synthetic-nli: a toy DeBERTa-v2 NLI classifier

A small `DebertaV2ForSequenceClassification` (deberta-v3-style config, {config['num_hidden_layers']} layers,
hidden {config['hidden_size']}) trained **from scratch on a synthetic, template-generated English NLI corpus**,
so that debertac's quick start shows a real decision on real sentences. It is a toy: it knows only
the few thousand words and sentence shapes of its templates, has no pretraining and must not be
used for anything real. Labels follow microsoft/deberta-v2-xxlarge-mnli:
`0 CONTRADICTION, 1 NEUTRAL, 2 ENTAILMENT`.

Made by (seeded; torch on one CPU thread; about 10 CPU-minutes of training, more wall time on a
busy machine):

    python3 scripts/train_example_nli.py

(`--evaluate-only` re-scores the saved folder and rewrites `golden.json` and this README.)

## What it learned

The corpus ({n_train} training pairs, {n_test} test pairs) covers hypernyms (a dog → an animal,
playing a guitar → making music), dropped details (entailment) and added details (neutral),
incompatible activities, people, places and times, negation, counting (three apples → more than
two / fewer than two), word order and roles (the cat chased the dog ↔ the dog was chased by the
cat; the dog chased the cat is neutral; symmetric verbs; comparatives), adjective and verb
synonyms/antonyms, cities → countries → continents, days, hours, months and years, and pairs
shaped like Hugging Face zero-shot classification (a sentence about sports, politics, cooking,
music, technology, weather, travel, health, finance, science, education or movies, or a
review, against "This example is {{label}}." and similar templates). The test split holds out
whole combinations (a hash of each pair's content key: premise sentence, counting numbers, ...)
and a few templates that never occur in training ("There is a man playing ...", "I counted ...",
"This article is about {{}}.", ...; some contain words training never shows), so its accuracy is
not memorisation.

Held-out test accuracy, float32 PyTorch (the saved fp16 weights widened to fp32):

| | accuracy |
|---|---|
| **overall** | **{pct(report['overall'])}** |
{classes}
| held-out templates only | {pct(report['held_out_templates'])} |
| held-out combinations only | {pct(report['held_out_combinations_only'])} |

Per phenomenon:

| kind | accuracy |
|---|---|
{kinds}

## Files

| file | |
|---|---|
{chr(10).join(f"| `{name}` | {size:,} bytes |" for name, size in files)}

- `pytorch_model.bin`: fp16 state dict written with `torch.save` (the format of
  microsoft/deberta-v2-xxlarge-mnli).
- `spm.model`: SentencePiece unigram, {SPM_VOCAB} pieces, nmt_nfkc, no byte fallback,
  `[PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3`; `[MASK]` = {SPM_VOCAB} is an added special token
  (`tokenizer_config.json`, as in microsoft/deberta-v3-base). Config `vocab_size` is
  {config['vocab_size']}: rows past {SPM_VOCAB} are unused padding, as in the real checkpoints.
- `golden.json`: transformers' own results on this folder (fp32): `pairs` (input_ids,
  token_type_ids, logits, label) and `zero_shot` (`pipeline("zero-shot-classification")` calls with
  their labels and scores).

## Config

hidden_size {config['hidden_size']}, num_hidden_layers {config['num_hidden_layers']},
num_attention_heads {config['num_attention_heads']}, intermediate_size {config['intermediate_size']},
max_position_embeddings {config['max_position_embeddings']}, relative_attention true,
position_buckets {config['position_buckets']}, max_relative_positions -1, norm_rel_ebd layer_norm,
share_att_key true, pos_att_type [p2c, c2p], position_biased_input false, type_vocab_size 0,
vocab_size {config['vocab_size']}, layer_norm_eps 1e-7, gelu, no conv layer, dropout 0.

Training: from scratch, {args.steps} steps of batch {args.batch} (about {args.steps * args.batch // 1000}k pairs,
{args.steps * args.batch / n_train:.1f} epochs), AdamW (lr {args.lr:g}, betas 0.9/0.98, weight decay 0.01,
linear warm-up and decay), plus an auxiliary loss whose head is discarded: every layer predicts
whether each token also occurs in the other sentence of the pair, which speeds up learning.

## Examples (transformers, fp32)

| premise | hypothesis | prediction |
|---|---|---|
{pr}

Zero-shot classification (`pipeline("zero-shot-classification", model="examples/synthetic-nli")`):

| text | candidate labels | mode, template | top label (score) |
|---|---|---|---|
{zs}

These are recorded as transformers returned them, misses included (the weather sentence above is
one: a toy model trained on templates does not generalise far). Labels outside the training topics
(such as "dancing") are guesses: the model only knows the twelve topics and two sentiments above.
"""
    (out / "README.md").write_text(text)


# =============================================================================================
# main
# =============================================================================================


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--train-pairs", type=int, default=200000)
    parser.add_argument("--steps", type=int, default=4500)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--evaluate-only", action="store_true",
                        help="do not train: re-score the saved folder and rewrite golden.json and README.md")
    args = parser.parse_args()

    import torch
    import transformers
    from transformers import AutoTokenizer, DebertaV2Config, DebertaV2ForSequenceClassification

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    transformers.logging.set_verbosity_error()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not args.evaluate_only:
        for stale in ("config.json", "pytorch_model.bin", "spm.model", "tokenizer_config.json", "README.md",
                      "golden.json", "tokenizer.json", "special_tokens_map.json", "model.safetensors"):
            (out / stale).unlink(missing_ok=True)

    t_start = time.time()
    train, test = build_corpus(args.train_pairs, SEED)
    print(f"corpus: {len(train)} train / {len(test)} test pairs; labels train {dict(Counter(r[2] for r in train))}")

    train_seconds = None
    if not args.evaluate_only:
        texts = sorted({x for r in train for x in r[:2]})
        mask_id = train_tokenizer(texts, out)
        vocab_size = (mask_id + 1 + 15) // 16 * 16
        (out / "config.json").write_text(json.dumps(model_config(vocab_size), indent=2) + "\n")
    config = json.loads((out / "config.json").read_text())
    tok = AutoTokenizer.from_pretrained(str(out))
    assert tok.cls_token_id == 1 and tok.sep_token_id == 2 and tok.pad_token_id == 0 and tok.unk_token_id == 3
    assert tok.mask_token_id == len(tok) - 1 < config["vocab_size"]
    test_ids, test_labels = encode(tok, test)

    if not args.evaluate_only:
        train_ids, train_labels = encode(tok, train)
        sample = random.Random(SEED).sample(range(len(test)), min(3000, len(test)))
        print(f"tokenizer: {tok.mask_token_id} pieces + [MASK]={tok.mask_token_id}; mean pair length "
              f"{sum(map(len, train_ids)) / len(train_ids):.1f} tokens (max {max(map(len, train_ids))})")
        model = DebertaV2ForSequenceClassification(DebertaV2Config.from_json_file(str(out / "config.json")))
        n_params = sum(p.numel() for p in model.parameters())
        print(f"model: {n_params:,} parameters; training {args.steps} steps of {args.batch}")
        train_seconds = train_model(torch, model, train_ids, train_labels, [test_ids[i] for i in sample],
                                    [test_labels[i] for i in sample], args.steps, args.batch, args.lr, SEED)
        print_report("trained fp32 model, before saving", evaluate(predict(torch, model, test_ids), test))
        state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
        torch.save(state, out / "pytorch_model.bin")

    reloaded = DebertaV2ForSequenceClassification.from_pretrained(str(out), dtype=torch.float32).float().eval()
    report = evaluate(predict(torch, reloaded, test_ids), test)
    print_report("reloaded from the fp16 checkpoint, fp32", report)

    doc, quick, mismatches = make_goldens(torch, out)
    write_json(out / "golden.json", doc)
    files = [(p.name, p.stat().st_size) for p in sorted(out.iterdir()) if p.name != "README.md"]
    write_readme(out, config, report, len(train), len(test), args, files, doc["zero_shot"], doc["pairs"])

    if train_seconds is not None:
        print(f"\ntraining {train_seconds / 60:.1f} min, total {(time.time() - t_start) / 60:.1f} min")
    print("golden pairs:")
    for p in doc["pairs"]:
        print(f"  {p['label']:13s} (expected {p['expected']:13s}) {p['premise']} / {p['hypothesis']}  {p['logits']}")
    print("zero-shot calls:")
    for z in doc["zero_shot"]:
        print(f"  {z['text']!r} {z['candidate_labels']} multi={z['multi_label']} {z['hypothesis_template']!r}")
        print(f"      -> {list(zip(z['labels'], [round(s, 4) for s in z['scores']]))}")
    print(f"quick start ({', '.join(QUICK_START_LABELS)}, default template):")
    for text, labels, scores in quick:
        print(f"  {labels[0]:10s} {scores[0]:.3f}  {text}")
    for p in sorted(out.iterdir()):
        print(f"  {p.name:24s} {p.stat().st_size:>10,} bytes")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
