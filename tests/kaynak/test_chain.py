"""The hashing and chaining helpers the three histories share."""

from __future__ import annotations

from kaynak.chain import Link, chain_break, merkle_root, signature, signature_matches


def links(*hashes: str, previous: list[str] | None = None) -> list[Link]:
    previous = previous or ["", *hashes[:-1]]
    return [
        Link(number, before, digest, digest, f"entry {number} (kind)")
        for number, (before, digest) in enumerate(zip(previous, hashes, strict=True), start=1)
    ]


def test_a_sound_chain_has_no_break() -> None:
    assert chain_break(links("a", "b", "c")) is None


def test_a_gap_is_named() -> None:
    chain = links("a", "b", "c")
    assert chain_break([chain[0], chain[2]]) == "entry 2 is missing (found 3 next)"


def test_a_wrong_link_is_named() -> None:
    assert chain_break(links("a", "b", previous=["", "x"])) == (
        "entry 2 does not link to the hash of entry 1"
    )


def test_an_entry_whose_content_changed_is_named() -> None:
    chain = links("a", "b")
    chain[1] = chain[1]._replace(computed_hash="other")
    assert chain_break(chain, entry="event") == "entry 2 (kind) was altered after it was recorded"


def test_the_merkle_root_does_not_depend_on_the_order_heads_come_in() -> None:
    heads = [[1, 2, "aa"], [2, 1, "bb"], [3, 5, "cc"]]
    assert merkle_root({"document": heads}) == merkle_root({"document": heads[::-1]})


def test_the_merkle_root_changes_with_any_head() -> None:
    heads = {"document": [[1, 2, "aa"], [2, 1, "bb"], [3, 5, "cc"]], "source": [[1, 1, "dd"]]}
    root = merkle_root(heads)
    for kind, position, part, value in [
        ("document", 0, 1, 3),  # a longer chain
        ("document", 2, 2, "cx"),  # another hash
        ("source", 0, 0, 9),  # another owner
    ]:
        changed = {name: [list(head) for head in found] for name, found in heads.items()}
        changed[kind][position][part] = value
        assert merkle_root(changed) != root
    assert merkle_root({**heads, "source": []}) != root  # a head gone
    # The same head under another kind is another leaf.
    assert merkle_root({"annotation": heads["document"]}) != merkle_root(
        {"document": heads["document"]}
    )


def test_an_empty_archive_has_a_root_too() -> None:
    assert len(merkle_root({})) == 64


def test_a_signature_needs_the_key_and_the_same_payload() -> None:
    payload = {"checkpoint": {"number": 3}, "checkpoint_hash": "ab"}
    signed = signature(payload, "key")
    assert signature_matches(payload, "key", signed)
    assert not signature_matches(payload, "another key", signed)
    assert not signature_matches({**payload, "checkpoint_hash": "ac"}, "key", signed)
