"""The Markdown table and the PNG chart of one run."""

from pathlib import Path
from typing import Any

TARGETS = {"generated_vs_raw": 0.40, "generated_vs_core": 0.90}


def _errors_note(apps: dict[str, Any]) -> str:
    """` (5 errors! generated: timeout 5)` for an endpoint whose runs had errors."""
    parts = []
    for app, result in apps.items():
        kinds = result.get("error_kinds") or {}
        if result["errors"]:
            detail = ", ".join(f"{kind} {count}" for kind, count in kinds.items())
            parts.append(f"{app}: {detail or result['errors']}")
    total = sum(result["errors"] for result in apps.values())
    return f" ({total} errors! {'; '.join(parts)})" if total else ""


def _f(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}"


def _cpu_cells(endpoint: dict[str, Any]) -> str:
    apps = endpoint["apps"]
    if "cpu_generated_vs_raw" not in endpoint:
        return " - | - |"
    spent = " / ".join(
        _f(apps[app]["cpu_us"], 0) for app in ("generated", "core", "raw")
    )
    return (
        f" {spent} | {_f(endpoint['cpu_generated_vs_raw'])},"
        f" {_f(endpoint['cpu_generated_vs_core'])} |"
    )


def _early(memory: dict[str, Any]) -> int:
    return int(next(iter(memory.values())).get("early_requests", 0))


def _instructions_lines(instructions: dict[str, Any] | None) -> list[str]:
    """The callgrind table of one variant (none when it was not measured)."""
    if not instructions:
        return []
    per_request = instructions["per_request"]
    lines = [
        "Instructions per request (callgrind, in-process, no server; millions,"
        f" from runs of {instructions['requests']} requests):",
        "",
        "| endpoint | generated | FastAPI + Core | raw driver + Starlette"
        " | generated / raw | generated / core |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, ratio in instructions["ratios"].items():
        counts = " | ".join(
            _f(per_request[app][key] / 1e6) for app in ("generated", "core", "raw")
        )
        lines.append(
            f"| {key} | {counts} | **{_f(ratio['generated_vs_raw'])}** |"
            f" **{_f(ratio['generated_vs_core'])}** |"
        )
    return [*lines, ""]


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        "# fastapi-db benchmarks",
        "",
        f"- date: {meta['date']}; git: {meta['git']}; python {meta['python']}",
        f"- machine: {meta['cpus']} CPUs; load average before {meta['load_before']},"
        f" after {meta['load_after']}",
        f"- settings: {meta['settings']}",
        "- Every ratio is against a baseline measured in this same run; other load on"
        " the machine moves the absolute numbers far more than the ratios.",
        "",
    ]
    cli = results.get("cli")
    if cli:
        lines += [
            "## CLI (median of repeated runs)",
            "",
            f"| command | wall median s | wall min-max s | wall x `{cli['baseline']}`"
            " | CPU median s | CPU x baseline |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in cli["commands"]:
            cpu = row.get("cpu_median")
            cpu_cells = (
                f" {_f(cpu, 3)} | {_f(row['cpu_ratio'])} |"
                if cpu is not None
                else " - | - |"
            )
            lines.append(
                f"| `{row['name']}` | {_f(row['median'], 3)} |"
                f" {_f(row['min'], 3)}-{_f(row['max'], 3)} | {_f(row['ratio'])} |"
                + cpu_cells
            )
        lines.append("")
    for variant in results.get("apps", []):
        lines += [
            f"## Generated app, {variant['variant']} (req/s, median over rounds)",
            "",
            "| endpoint | generated | FastAPI + Core | raw driver + Starlette"
            " | generated / raw | generated / core | generated p50 / p99 ms"
            " | server CPU µs/response gen / core / raw"
            " | by CPU: gen / raw, gen / core |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for endpoint in variant["endpoints"].values():
            apps = endpoint["apps"]
            label = endpoint["label"] + _errors_note(apps)
            lines.append(
                f"| `{label}` | {_f(apps['generated']['median_rps'], 0)} |"
                f" {_f(apps['core']['median_rps'], 0)} |"
                f" {_f(apps['raw']['median_rps'], 0)} |"
                f" **{_f(endpoint['generated_vs_raw'])}** |"
                f" **{_f(endpoint['generated_vs_core'])}** |"
                f" {_f(apps['generated']['p50_ms'], 1)} /"
                f" {_f(apps['generated']['p99_ms'], 1)} |" + _cpu_cells(endpoint)
            )
        lines.append("")
        lines.append(
            "Response shapes: "
            + "; ".join(f"{app}: {note}" for app, note in variant["shapes"].items())
        )
        lines.append("")
        memory = variant.get("memory")
        if memory:
            lines += [
                f"Memory (VmRSS, `GET /posts?limit=20&offset=20`,"
                f" {next(iter(memory.values()))['requests']:,} requests after"
                " warm-up):",
                "",
                f"| app | after warm-up MiB | after {_early(memory):,} MiB |"
                " after all MiB | growth since then MiB | x raw | grows? |",
                "|---|---:|---:|---:|---:|---:|---|",
            ]
            for app, figures in memory.items():
                lines.append(
                    f"| {app} | {_f(figures['warm_mib'], 1)} |"
                    f" {_f(figures['early_mib'], 1)} | {_f(figures['end_mib'], 1)} |"
                    f" {_f(figures['late_growth_mib'], 1)} |"
                    f" {_f(figures['vs_raw'])} |"
                    f" {'YES' if figures['grows'] else 'no'} |"
                )
            lines.append("")
        lines += _instructions_lines(variant.get("instructions"))
    matrix = results.get("matrix")
    if matrix:
        lines += [
            "## Matrix (`pytest tests/test_matrix.py -q`)",
            "",
            "| wall s | x `import copier` | exit code | summary |",
            "|---:|---:|---:|---|",
            f"| {_f(matrix['seconds'], 1)} | {_f(matrix['ratio'], 0)} |"
            f" {matrix['returncode']} | {matrix['summary']} |",
            "",
        ]
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cli = results.get("cli")
    apps = results.get("apps", [])
    panels = int(bool(cli)) + int(bool(apps))
    if panels == 0:
        return
    figure, axes = plt.subplots(
        panels, 1, figsize=(10, 3.2 * panels + (0.5 * len(apps))), squeeze=False
    )
    index = 0
    if cli:
        axis = axes[index][0]
        rows = cli["commands"][1:]
        names = [row["name"].replace("fastapi-db ", "") for row in rows]
        spots = list(range(len(rows)))
        axis.barh(
            [p - 0.2 for p in spots],
            [row["ratio"] for row in rows],
            0.38,
            color="#4c72b0",
            label="wall time",
        )
        if all("cpu_ratio" in row for row in rows):
            axis.barh(
                [p + 0.2 for p in spots],
                [row["cpu_ratio"] for row in rows],
                0.38,
                color="#8172b3",
                label="CPU time",
            )
            axis.legend(fontsize=8)
        axis.set_yticks(spots, names)
        axis.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        axis.set_xlabel(f"time / {cli['baseline']} (median)")
        axis.set_title("CLI")
        axis.invert_yaxis()
        index += 1
    if apps:
        axis = axes[index][0]
        labels: list[str] = []
        vs_raw: list[float] = []
        vs_core: list[float] = []
        for variant in apps:
            for endpoint in variant["endpoints"].values():
                labels.append(f"{variant['variant']}\n{endpoint['label']}")
                vs_raw.append(endpoint["generated_vs_raw"])
                vs_core.append(endpoint["generated_vs_core"])
        positions = list(range(len(labels)))
        height = 0.38
        axis.barh(
            [p - height / 2 for p in positions],
            vs_raw,
            height,
            label="generated / raw driver",
            color="#dd8452",
        )
        axis.barh(
            [p + height / 2 for p in positions],
            vs_core,
            height,
            label="generated / FastAPI + Core",
            color="#55a868",
        )
        for key, target in TARGETS.items():
            colour = "#dd8452" if key.endswith("raw") else "#55a868"
            axis.axvline(target, color=colour, linestyle=":", linewidth=1)
        axis.set_yticks(positions, labels, fontsize=7)
        axis.invert_yaxis()
        axis.set_xlabel("req/s ratio (median; dotted: targets 0.40 and 0.90)")
        axis.set_title("Generated app vs. baselines, same run")
        axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
