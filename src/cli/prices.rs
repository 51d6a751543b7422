//! `prices import | months | diff | search`: the monthly price lists from a
//! script. Import checks the whole file before it opens the database, so a
//! refused file (exit 2) leaves the database untouched, and the login (which
//! writes the PIN counters) only happens for a file worth importing.

use super::{Ctx, print_json};
use crate::auth::Role;
use crate::clock::Clock;
use crate::domain::Month;
use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::prices::diff::ItemJson;
use crate::prices::search::SearchIndex;
use crate::prices::{
    self, Analysis, ImportOutcome, MonthStatus, PriceDiff, PriceError, Problem, Snapshot,
};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Import a monthly price list (CSV in UTF-8 or GBK, XLSX, JSON); all or
    /// nothing. Needs --user with the admin role.
    Import {
        file: PathBuf,
        /// The month the list is for, YYYY-MM (asked on a terminal when left out).
        #[arg(long)]
        month: Option<String>,
        /// Check the file and show the difference from the previous month; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// The snapshots held.
    Months {
        #[arg(long)]
        json: bool,
    },
    /// Added, removed and re-priced items from month FROM to month TO.
    Diff {
        from: String,
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// The cashier's search, ranked (code, barcode, code prefix, pinyin
    /// initials, name, pinyin substring).
    Search {
        query: String,
        /// The snapshot's month (default: the one in force today).
        #[arg(long)]
        month: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// The paper price binder of a month as PDF: category index, items by
    /// pinyin, page numbers. --user is optional (cashier or admin).
    Book {
        #[arg(long)]
        month: String,
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, a: Args) -> Result<(), Failure> {
    match a.command {
        Sub::Import {
            file,
            month,
            dry_run,
            json,
        } => import(ctx, &file, month.as_deref(), dry_run, json),
        Sub::Months { json } => months(ctx, json),
        Sub::Diff { from, to, json } => diff(ctx, &from, &to, json),
        Sub::Search {
            query,
            month,
            limit,
            json,
        } => search(ctx, &query, month.as_deref(), limit, json),
        Sub::Book { month, out, json } => book(ctx, &month, &out, json),
    }
}

/// `prices book`: read-only like the other price commands, so no login is
/// needed; a `--user` given must hold cashier or admin.
fn book(ctx: &Ctx, month: &str, out: &std::path::Path, json: bool) -> Result<(), Failure> {
    let month = parse_month(month)?;
    let mut store = ctx.open_store()?;
    if ctx.user.is_some() {
        let session = ctx.session(&mut store)?;
        session.require_any(
            &[Role::Cashier, Role::Admin],
            "打印价格本 (print the price book)",
        )?;
    }
    let started = std::time::Instant::now();
    let summary = prices::book::write(store.conn(), month, out)?;
    let ms = started.elapsed().as_millis();
    if json {
        return print_json(&serde_json::json!({
            "month": summary.month.to_string(),
            "out": out.display().to_string(),
            "items": summary.items,
            "pages": summary.pages,
            "index": summary.index.iter().map(|e| serde_json::json!({
                "category": e.category.zh(),
                "items": e.items,
                "first_page": e.first_page,
            })).collect::<Vec<_>>(),
            "millis": ms as u64,
        }));
    }
    println!(
        "{} {}: {} {}, {} {} → {} ({ms} ms)",
        ctx.lang.pick("价格本", "price book"),
        summary.month,
        summary.items,
        ctx.lang.pick("项", "items"),
        summary.pages,
        ctx.lang.pick("页", "pages"),
        out.display()
    );
    Ok(())
}

fn parse_month(s: &str) -> Result<Month, Failure> {
    Ok(Month::parse(s)?)
}

/// A problem as printed in JSON.
#[derive(serde::Serialize)]
struct ProblemJson<'a> {
    location: String,
    file: &'a str,
    row: usize,
    column: &'a str,
    message: String,
}

fn problems_json(lang: Lang, ps: &[Problem]) -> Vec<ProblemJson<'_>> {
    ps.iter()
        .map(|p| ProblemJson {
            location: p.location(),
            file: &p.file,
            row: p.row,
            column: &p.column,
            message: p.kind.message(lang),
        })
        .collect()
}

/// `--month`, else asked on a terminal (proposing the month the file name
/// or title gives), else refused.
fn month_for(ctx: &Ctx, given: Option<&str>, hint: Option<Month>) -> Result<Month, Failure> {
    if let Some(m) = given {
        return parse_month(m);
    }
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(PriceError::NoMonth { hint }.into());
    }
    let proposal = hint.map(|m| format!(" [{m}]")).unwrap_or_default();
    print!(
        "{}{proposal}: ",
        ctx.lang
            .pick("价格表月份（YYYY-MM）", "Month of the price list (YYYY-MM)")
    );
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string(), e.to_string()))?;
    match (line.trim(), hint) {
        ("", Some(m)) => Ok(m),
        ("", None) => Err(PriceError::NoMonth { hint }.into()),
        (s, _) => parse_month(s),
    }
}

#[derive(serde::Serialize)]
struct DiffCounts {
    added: usize,
    removed: usize,
    changed: usize,
}

#[derive(serde::Serialize)]
struct ImportJson<'a> {
    status: &'static str,
    month: String,
    file: &'a str,
    sha256: &'a str,
    items: usize,
    snapshot_id: Option<i64>,
    warnings: Vec<ProblemJson<'a>>,
    pinyin_computed: usize,
    previous_month: Option<String>,
    diff: Option<DiffCounts>,
}

fn import(
    ctx: &Ctx,
    file: &std::path::Path,
    month: Option<&str>,
    dry_run: bool,
    json: bool,
) -> Result<(), Failure> {
    let analysis: Analysis = prices::analyse_file(file).map_err(|source| PriceError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    if !analysis.is_valid() {
        if json {
            print_json(&serde_json::json!({
                "status": "refused",
                "file": analysis.list.file_name,
                "sha256": analysis.list.sha256,
                "problems": problems_json(ctx.lang, &analysis.problems),
            }))?;
        }
        return Err(analysis
            .into_result()
            .err()
            .map(Failure::from)
            .unwrap_or_else(|| Failure::new(ErrorKind::Internal, "内部错误", "internal error")));
    }
    let month = month_for(ctx, month, analysis.list.month_hint)?;
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    session.require(Role::Admin, "导入价格表 (import a price list)")?;
    let preview = prices::preview_analysis(store.conn(), analysis, month)?;
    let counts = preview.diff.as_ref().map(|d| DiffCounts {
        added: d.added.len(),
        removed: d.removed.len(),
        changed: d.changed.len(),
    });
    let list = &preview.analysis.list;
    let previous_month = preview.previous.as_ref().map(|s| s.month.to_string());
    let (status, snapshot_id) = if dry_run {
        if let MonthStatus::Different(existing) = &preview.status {
            return Err(PriceError::MonthHeld {
                month,
                file: list.file_name.clone(),
                existing: Box::new(existing.clone()),
            }
            .into());
        }
        let status = match preview.status {
            MonthStatus::Identical(_) => "dry_run_already_held",
            _ => "dry_run",
        };
        (status, None)
    } else {
        let report =
            prices::import_parsed(&mut store, &session, &ctx.clock, list, month, &mut |_| {})?;
        let status = match report.outcome {
            ImportOutcome::Imported => "imported",
            ImportOutcome::AlreadyHeld => "already_held",
        };
        (status, Some(report.snapshot.id))
    };
    if json {
        return print_json(&ImportJson {
            status,
            month: month.to_string(),
            file: &list.file_name,
            sha256: &list.sha256,
            items: list.items.len(),
            snapshot_id,
            warnings: problems_json(ctx.lang, &list.warnings),
            pinyin_computed: list.pinyin_computed,
            previous_month,
            diff: counts,
        });
    }
    let n = list.items.len();
    let w = list.warnings.len();
    let f = &list.file_name;
    match status {
        "imported" => ctx.say(
            &format!("已导入 {month} 价格表：{f}，{n} 项，{w} 条警告"),
            &format!("Imported the {month} price list: {f}, {n} items, {w} warnings"),
        ),
        "already_held" => ctx.say(
            &format!("{month} 已导入同一文件（SHA-256 相同）：未做任何更改"),
            &format!(
                "{month} already holds this very file (same SHA-256): nothing changed"
            ),
        ),
        "dry_run_already_held" => ctx.say(
            &format!("试运行：{month} 已导入同一文件（SHA-256 相同），导入将不做任何更改"),
            &format!("Dry run: {month} already holds this very file (same SHA-256); importing would change nothing"),
        ),
        _ => ctx.say(
            &format!("试运行：{f} 有效，{n} 项，{w} 条警告，可导入为 {month}；未写入任何内容"),
            &format!("Dry run: {f} is valid, {n} items, {w} warnings, importable as {month}; nothing written"),
        ),
    }
    println!("sha256 {}", list.sha256);
    if list.pinyin_computed > 0 {
        ctx.say(
            &format!("拼音码由名称计算：{} 项", list.pinyin_computed),
            &format!(
                "pinyin initials computed from the name: {} items",
                list.pinyin_computed
            ),
        );
    }
    for p in &list.warnings {
        println!(
            "{}{}",
            ctx.lang.pick("警告：", "warning: "),
            p.render(ctx.lang)
        );
    }
    if let (Some(prev), Some(c)) = (&previous_month, &counts) {
        ctx.say(
            &format!(
                "与 {prev} 相比：新增 {}，删除 {}，调价 {}",
                c.added, c.removed, c.changed
            ),
            &format!(
                "against {prev}: {} added, {} removed, {} re-priced",
                c.added, c.removed, c.changed
            ),
        );
    }
    Ok(())
}

fn months(ctx: &Ctx, json: bool) -> Result<(), Failure> {
    let store = ctx.open_store()?;
    let list: Vec<Snapshot> = prices::snapshots(store.conn())?;
    if json {
        return print_json(&list);
    }
    if list.is_empty() {
        ctx.say("尚未导入任何价格表", "no price list imported yet");
    }
    for s in &list {
        println!(
            "{}  {:>6}  {}  {}  {}  {}",
            s.month,
            s.item_count,
            s.file_name,
            s.imported_by,
            s.imported_at,
            &s.sha256[..s.sha256.len().min(12)]
        );
    }
    Ok(())
}

fn snapshot_of(conn: &rusqlite::Connection, month: Month) -> Result<Snapshot, Failure> {
    Ok(prices::snapshot_for_month(conn, month)?.ok_or(PriceError::NoSnapshot(month))?)
}

fn diff(ctx: &Ctx, from: &str, to: &str, json: bool) -> Result<(), Failure> {
    let (from, to) = (parse_month(from)?, parse_month(to)?);
    let store = ctx.open_store()?;
    let conn = store.conn();
    let (a, b) = (snapshot_of(conn, from)?, snapshot_of(conn, to)?);
    let d: PriceDiff = prices::diff(&prices::items(conn, a.id)?, &prices::items(conn, b.id)?);
    if json {
        return print_json(&d.to_json());
    }
    ctx.say(
        &format!(
            "{from} → {to}：新增 {}，删除 {}，调价 {}",
            d.added.len(),
            d.removed.len(),
            d.changed.len()
        ),
        &format!(
            "{from} → {to}: {} added, {} removed, {} re-priced",
            d.added.len(),
            d.removed.len(),
            d.changed.len()
        ),
    );
    for i in &d.added {
        println!(
            "+ {}  {}  {}  {}  {}",
            i.code, i.name, i.spec, i.unit, i.unit_price
        );
    }
    for i in &d.removed {
        println!(
            "- {}  {}  {}  {}  {}",
            i.code, i.name, i.spec, i.unit, i.unit_price
        );
    }
    for c in &d.changed {
        println!(
            "~ {}  {}  {} → {}",
            c.code, c.new.name, c.old.unit_price, c.new.unit_price
        );
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct HitJson<'a> {
    #[serde(rename = "match")]
    kind: &'static str,
    #[serde(flatten)]
    item: ItemJson<'a>,
}

fn search(
    ctx: &Ctx,
    query: &str,
    month: Option<&str>,
    limit: usize,
    json: bool,
) -> Result<(), Failure> {
    let store = ctx.open_store()?;
    let conn = store.conn();
    let snapshot = match month {
        Some(m) => snapshot_of(conn, parse_month(m)?)?,
        None => {
            let today = ctx.clock.now().date_naive();
            prices::snapshot_in_force(conn, today)?.ok_or(PriceError::NoneInForce(today))?
        }
    };
    let index = SearchIndex::for_snapshot(conn, snapshot.id)?;
    let hits = index.search(query, limit);
    if json {
        let items: Vec<_> = hits.iter().map(|h| index.item(h.index)).collect();
        let out: Vec<HitJson<'_>> = hits
            .iter()
            .zip(&items)
            .map(|(h, item)| HitJson {
                kind: h.kind.as_str(),
                item: ItemJson::from(item),
            })
            .collect();
        return print_json(&out);
    }
    if hits.is_empty() {
        ctx.say(
            &format!("{} 价格表中没有匹配“{query}”的项目", snapshot.month),
            &format!("nothing matches '{query}' in the {} list", snapshot.month),
        );
    }
    for h in &hits {
        let i = index.item(h.index);
        println!(
            "{}  {}  {}  {}  {}  {}",
            i.code,
            i.name,
            i.spec,
            i.unit,
            i.unit_price,
            i.category.label(ctx.lang)
        );
    }
    Ok(())
}
