"""Memory: sorts, hashes and bitmaps that outgrew work_mem, with the value that would fit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbxray.findings import Finding
from dbxray.plans.memory import DEFAULT_WORK_MEM_KB, human_kb, setting_value
from dbxray.plans.model import Node
from dbxray.plans.rules.common import Context, object_of, plan_rule, time_evidence


@plan_rule("disk_sort", "sort_memory_factor")
def disk_sort(node: Node, ctx: Context) -> Iterable[Finding]:
    """A Sort that spilled to disk (external merge): work_mem was too small for it."""
    if "Sort" not in node.node_type:
        return
    spaces = [node.raw] + [w for w in node.raw.get("Workers") or [] if isinstance(w, dict)]
    disk = [float(s.get("Sort Space Used") or 0) for s in spaces
            if s.get("Sort Space Type") == "Disk" or str(s.get("Sort Method", "")).startswith("external")]
    if not disk:
        return
    disk_kb = max(disk)
    work_mem, origin = ctx.setting_kb("work_mem", DEFAULT_WORK_MEM_KB)
    needed = max(disk_kb * ctx.thresholds.sort_memory_factor, work_mem * 2)
    value = setting_value(needed)
    evidence = {"sort_method": node.raw.get("Sort Method"), "disk_kb": disk_kb, "work_mem_kb": work_mem,
                "work_mem_from": origin, "suggested_work_mem": value, **time_evidence(node)}
    if node.buffers.get("temp_written"):
        evidence["temp_written_blocks"] = node.buffers["temp_written"]
    key = node.raw.get("Sort Key")
    small = disk_kb < 1024 and (node.self_pct or 0.0) < 10
    yield Finding(
        "disk_sort", "info" if small else "warning",
        f"Sort spilled {human_kb(disk_kb)} to disk at node {node.node_id} (work_mem {human_kb(work_mem)})",
        object_of(node, ctx), evidence,
        f"Likely cause: work_mem too small. About {value} would keep this sort in memory (it wrote "
        f"{human_kb(disk_kb)}; an in-memory sort needs roughly {ctx.thresholds.sort_memory_factor:g}x that). "
        "Raise it for this session or role, not server-wide (each sort of each connection may use it)"
        + (f", or add an index that returns rows in the order of {_text(key)}." if key else "."),
        f"SET work_mem = '{value}';")


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


@plan_rule("hash_spill")
def hash_spill(node: Node, ctx: Context) -> Iterable[Finding]:
    """A Hash (join) or HashAggregate that needed more than one batch: it spilled to disk."""
    raw = node.raw
    if node.node_type.endswith("Hash"):
        batches = float(raw.get("Hash Batches") or 0)
        original = float(raw.get("Original Hash Batches") or batches)
        if max(batches, original) <= 1:
            return
        peak = float(raw.get("Peak Memory Usage") or 0)
        needed = peak * max(batches, original)
        what = "Hash"
    elif node.node_type.endswith("Aggregate") and (float(raw.get("HashAgg Batches") or 0) > 1
                                                    or float(raw.get("Disk Usage") or 0) > 0):
        batches = float(raw.get("HashAgg Batches") or 0)
        original = batches
        peak = float(raw.get("Peak Memory Usage") or raw.get("Memory Usage") or 0)
        needed = peak + float(raw.get("Disk Usage") or 0)
        what = "HashAggregate"
    else:
        return
    work_mem, origin = ctx.setting_kb("work_mem", DEFAULT_WORK_MEM_KB)
    multiplier = ctx.setting_float("hash_mem_multiplier", 2.0)
    value = setting_value(max(needed * 1.25 / max(multiplier, 1.0), work_mem * 2))
    evidence = {"batches": int(batches), "original_batches": int(original), "peak_memory_kb": peak,
                "needed_kb": round(needed), "work_mem_kb": work_mem, "work_mem_from": origin,
                "hash_mem_multiplier": multiplier, "suggested_work_mem": value, **time_evidence(node)}
    yield Finding(
        "hash_spill", "warning",
        f"{what} at node {node.node_id} spilled to disk in {max(batches, original):,.0f} batches",
        object_of(node, ctx), evidence,
        f"Likely cause: work_mem too small: the hash table needed about {human_kb(needed)} and could use "
        f"{human_kb(work_mem * multiplier)} (work_mem x hash_mem_multiplier {multiplier:g}). About work_mem = {value} "
        "would keep it in memory; or raise hash_mem_multiplier, or make the hashed side smaller.",
        f"SET work_mem = '{value}';")


@plan_rule("lossy_bitmap")
def lossy_bitmap(node: Node, ctx: Context) -> Iterable[Finding]:
    """A bitmap heap scan whose bitmap went lossy: every row of those pages is rechecked."""
    lossy = float(node.raw.get("Lossy Heap Blocks") or 0)
    if "Bitmap Heap Scan" not in node.node_type or lossy <= 0:
        return
    exact = float(node.raw.get("Exact Heap Blocks") or 0)
    work_mem, origin = ctx.setting_kb("work_mem", DEFAULT_WORK_MEM_KB)
    needed = (exact + lossy) * 80 / 1024  # an exact page entry costs ~80 bytes of bitmap (tidbitmap.c)
    value = setting_value(max(needed * 1.5, work_mem * 2))
    removed = node.removed_total("recheck")
    evidence = {"exact_heap_blocks": exact, "lossy_heap_blocks": lossy, "rows_removed_by_recheck": removed,
                "work_mem_kb": work_mem, "work_mem_from": origin, "suggested_work_mem": value,
                **time_evidence(node)}
    share = lossy / max(exact + lossy, 1)
    yield Finding(
        "lossy_bitmap", "warning" if share >= 0.1 or removed >= 10000 else "info",
        f"Bitmap went lossy for {lossy:,.0f} of {exact + lossy:,.0f} heap pages at node {node.node_id}",
        object_of(node, ctx), evidence,
        f"Likely cause: work_mem too small for an exact bitmap of {exact + lossy:,.0f} pages: about {value} would "
        "keep it exact and save the recheck of every row on the lossy pages.",
        f"SET work_mem = '{value}';")
