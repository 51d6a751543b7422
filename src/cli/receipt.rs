//! `receipt issue|show|list|pdf|void|refund`. Issuing prints nothing before
//! the receipt is committed; the PDF comes after.

use super::{Ctx, ENV_SUPERVISOR_PIN, print_json, read_pin};
use crate::error::{ErrorKind, Failure};
use crate::keys::SigningKey;
use crate::receipts::{self, IssueRequest, ReceiptView, RefundLine, RefundRequest};
use crate::store::Store;
use crate::workflows::{self, PdfStep};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum ReceiptCmd {
    /// Issues a receipt from a JSON body (see cli.md); prints it as JSON.
    Issue {
        /// The body: a file, or - for stdin.
        #[arg(long = "json", value_name = "FILE|-")]
        body: String,
        /// Also write the receipt PDF here.
        #[arg(long, value_name = "OUT")]
        pdf: Option<PathBuf>,
        /// Issue N receipts from the same body, printing each number on its
        /// own line once committed (crash tests, load runs). No PDFs are
        /// written, so it is refused together with --pdf.
        #[arg(long, value_name = "N", conflicts_with = "pdf")]
        repeat: Option<u32>,
    },
    /// One receipt with its lines, payments, events and status.
    Show {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Receipts in order of issue, of one episode or all.
    List {
        #[arg(long)]
        episode: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Reprints a receipt, marked 重打/COPY (counted).
    Pdf {
        number: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Voids an own receipt of this shift (supervisor PIN from DOWNTIME_BILLING_SUPERVISOR_PIN).
    Void {
        number: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        supervisor: String,
        #[arg(long)]
        json: bool,
    },
    /// Refunds lines (N or N:QTY) with a credit note from the same range.
    Refund {
        number: String,
        #[arg(long = "line", value_name = "N[:QTY]", required = true, num_args = 1..)]
        lines: Vec<String>,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        supervisor: String,
        /// Also write the credit note's PDF here.
        #[arg(long, value_name = "OUT")]
        pdf: Option<PathBuf>,
    },
}

fn io_err(path: &Path, e: std::io::Error) -> Failure {
    Failure::new(
        ErrorKind::Invalid,
        format!("{}：{e}", path.display()),
        format!("{}: {e}", path.display()),
    )
}

fn read_body(src: &str) -> Result<String, Failure> {
    let mut s = String::new();
    if src == "-" {
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| io_err(Path::new("-"), e))?;
    } else {
        s = std::fs::read_to_string(src).map_err(|e| io_err(Path::new(src), e))?;
    }
    Ok(s)
}

/// Says what did not follow a committed receipt: a failed backup on
/// stderr (the receipt stands, exit 0), a PDF that could not be written as
/// exit 6 once the receipt's JSON is out.
fn follow_ups(ctx: &Ctx, issued: &workflows::Issued) -> Result<(), Failure> {
    if let Err(f) = &issued.backup {
        // One line that cannot be read as "nothing was done": the receipt
        // stands, only the automatic backup after it did not happen.
        let n = &issued.receipt.receipt.number;
        eprintln!(
            "{}",
            ctx.lang.pick(
                &format!("票据 {n} 已开出；其后的自动备份未完成（下次开票或交班时再备份）：{}", f.zh),
                &format!(
                    "receipt {n} IS issued; the automatic backup after it was not taken (it is tried again at the next receipt or shift close): {}",
                    f.en
                ),
            )
        );
    }
    match issued.follow_up_failure() {
        None => Ok(()),
        Some(f) => Err(Failure::new(
            ErrorKind::FollowUp,
            format!(
                "票据 {} 已开出，但未能生成 PDF：{}（请用 receipt pdf 重打）",
                issued.receipt.receipt.number, f.zh
            ),
            format!(
                "receipt {} IS issued, but its PDF was not written: {} (reprint with `receipt pdf`)",
                issued.receipt.receipt.number, f.en
            ),
        )),
    }
}

fn pdf_step(pdf: Option<PathBuf>) -> PdfStep {
    match pdf {
        Some(out) => PdfStep::Save { copy_to: Some(out) },
        None => PdfStep::Skip,
    }
}

fn show_text(ctx: &Ctx, v: &ReceiptView) {
    // Every line printed inert (stored text may predate the input rules).
    macro_rules! say {
        ($($t:tt)*) => { println!("{}", crate::text::inert(&format!($($t)*))) };
    }
    say!(
        "{} {} {} [{}]{}",
        v.number,
        v.title,
        v.issued_at,
        v.status.label(ctx.lang),
        if v.drill { " 演练/DRILL" } else { "" }
    );
    say!(
        "{}: {}  {}: {}",
        ctx.lang.pick("患者", "patient"),
        v.patient["name"].as_str().unwrap_or_default(),
        ctx.lang.pick("收费员", "cashier"),
        v.cashier
    );
    for l in &v.lines {
        say!(
            "  {:>2} {} {} {} × {} {} = {}",
            l.line,
            l.code,
            l.name,
            l.spec,
            l.qty,
            l.unit_price,
            l.amount
        );
    }
    say!(
        "{}: {} ({})",
        ctx.lang.pick("合计", "total"),
        v.total,
        v.total_in_words
    );
    for p in &v.payments {
        say!("  {} {}", p.method, p.amount);
    }
    match &v.deadline {
        Some(d) => say!("{}: {d}", ctx.lang.pick("换票截止", "deadline")),
        None => say!("{}", v.deadline_note.clone().unwrap_or_default()),
    }
}

/// A receipt just issued as the acting user may see it (identifiers
/// masked but for finance and admin: `ReceiptView::for_viewer`).
fn shown(r: &receipts::IssuedReceipt, session: &crate::auth::Session) -> receipts::IssuedReceipt {
    let mut r = r.clone();
    r.receipt = r.receipt.for_viewer(session);
    r
}

/// The signing key the session unlocked at login.
fn key(session: &crate::auth::Session) -> Result<SigningKey, Failure> {
    Ok(session.key()?.clone())
}

pub fn run(ctx: &Ctx, cmd: ReceiptCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    // A window killed before it could checkpoint leaves a long WAL behind;
    // fold it in now, before the hot path (which never checkpoints).
    let _ = workflows::checkpoint(&store);
    let session = ctx.session(&mut store)?;
    let result = run_in(ctx, &mut store, &session, cmd);
    // Idle now: move the WAL into the database (the hot path never does).
    let _ = workflows::checkpoint(&store);
    result
}

fn run_in(
    ctx: &Ctx,
    store: &mut Store,
    session: &crate::auth::Session,
    cmd: ReceiptCmd,
) -> Result<(), Failure> {
    match cmd {
        ReceiptCmd::Issue { body, pdf, repeat } => {
            let req = IssueRequest::from_json(&read_body(&body)?)?;
            session.require(crate::auth::Role::Cashier, "issue receipts")?;
            let draft = receipts::IssueDraft::build(store.conn(), &ctx.clock, &req)?;
            let key = key(session)?;
            if let Some(n) = repeat {
                let stdout = std::io::stdout();
                for _ in 0..n {
                    let r =
                        workflows::issue(store, session, &ctx.clock, &key, &draft, &PdfStep::Skip)?;
                    let mut out = stdout.lock();
                    let _ = writeln!(out, "{}", r.receipt.receipt.number);
                    let _ = out.flush();
                    drop(out);
                    follow_ups(ctx, &r)?;
                }
                return Ok(());
            }
            let r = workflows::issue(store, session, &ctx.clock, &key, &draft, &pdf_step(pdf))?;
            if let Some(w) = &r.receipt.warning {
                eprintln!("{w}");
            }
            print_json(&shown(&r.receipt, session))?;
            follow_ups(ctx, &r)
        }
        ReceiptCmd::Show { number, json } => {
            let v = receipts::show(store.conn(), &number)?.for_viewer(session);
            if json {
                return print_json(&v);
            }
            show_text(ctx, &v);
            Ok(())
        }
        ReceiptCmd::List { episode, json } => {
            let rows = receipts::list(store.conn(), episode)?;
            if json {
                return print_json(&rows);
            }
            for r in rows {
                // Stored text is printed inert: a control character in a
                // name from before the input rules cannot repaint the
                // terminal or forge a line.
                let line = format!(
                    "{} {} {} {} {} [{}]{}",
                    r.number,
                    r.issued_at,
                    r.kind.as_str(),
                    r.patient,
                    r.total,
                    r.status.label(ctx.lang),
                    if r.drill { " 演练/DRILL" } else { "" }
                );
                println!("{}", crate::text::inert(&line));
            }
            Ok(())
        }
        ReceiptCmd::Pdf { number, out } => {
            let r = workflows::reprint(
                store,
                session,
                &ctx.clock,
                &number,
                &PdfStep::Save {
                    copy_to: Some(out.clone()),
                },
            )?;
            if let Some(f) = r.pdf.failure() {
                return Err(f.clone());
            }
            let v = r.receipt;
            println!(
                "{} {} → {} ({} {})",
                ctx.lang.pick("已重打", "reprinted"),
                v.number,
                out.display(),
                ctx.lang.pick("第几次重打", "copy"),
                v.reprints
            );
            Ok(())
        }
        ReceiptCmd::Void {
            number,
            reason,
            supervisor,
            json,
        } => {
            let pin = read_pin(
                ENV_SUPERVISOR_PIN,
                ctx.lang.pick("主管 PIN：", "Supervisor PIN: "),
            )?;
            let v = receipts::void(
                store,
                session,
                &ctx.clock,
                &number,
                &reason,
                &supervisor,
                &pin,
            )?
            .for_viewer(session);
            if json {
                return print_json(&v);
            }
            println!("{} {}", v.number, ctx.lang.pick("已作废", "voided"));
            Ok(())
        }
        ReceiptCmd::Refund {
            number,
            lines,
            reason,
            supervisor,
            pdf,
        } => {
            let lines = lines
                .iter()
                .map(|l| RefundLine::parse(l))
                .collect::<Result<Vec<_>, _>>()?;
            let pin = read_pin(
                ENV_SUPERVISOR_PIN,
                ctx.lang.pick("主管 PIN：", "Supervisor PIN: "),
            )?;
            let key = key(session)?;
            let r = workflows::refund(
                store,
                session,
                &ctx.clock,
                &key,
                &RefundRequest {
                    number,
                    lines,
                    reason,
                },
                crate::receipts::shift::SupervisorPin {
                    name: &supervisor,
                    pin: &pin,
                },
                &pdf_step(pdf),
            )?;
            if let Some(w) = &r.receipt.warning {
                eprintln!("{w}");
            }
            print_json(&shown(&r.receipt, session))?;
            follow_ups(ctx, &r)
        }
    }
}
