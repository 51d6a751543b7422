//! `his export|send-hl7|send-fhir|history`: posting receipts to the HIS.
//! A send that the HIS refused in part prints its summary and exits 5.

use super::{Ctx, print_json};
use crate::error::{ErrorKind, Failure};
use crate::his::postings::{self, Answer};
use crate::his::{self, Format, Selection, SendSummary, fhir, mllp};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Select {
    /// Only the receipts of this outage episode (and their credit notes).
    #[arg(long, value_name = "ID")]
    episode: Option<i64>,
    /// Only open receipts past their exchange deadline (the self-pay batch).
    #[arg(long)]
    overdue_self_pay: bool,
}

impl Select {
    fn selection(&self) -> Selection {
        Selection {
            episode: self.episode,
            overdue_self_pay: self.overdue_self_pay,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum HisCmd {
    /// Writes the batch as a CSV, JSON, HL7 or FHIR file (schemas in the README).
    Export {
        /// csv, json, hl7 or fhir.
        #[arg(long)]
        format: String,
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        #[command(flatten)]
        select: Select,
        #[arg(long)]
        json: bool,
    },
    /// Sends DFT^P03 messages over MLLP, one ACK awaited per message.
    SendHl7 {
        /// HOST:PORT of the HIS's HL7 listener.
        target: String,
        #[command(flatten)]
        select: Select,
        /// Seconds to wait for each ACK.
        #[arg(long, default_value_t = 30)]
        ack_timeout: u64,
        /// Attempts after a dropped connection, per message.
        #[arg(long, default_value_t = 3)]
        retries: u32,
        #[arg(long)]
        json: bool,
    },
    /// Posts FHIR R4 transaction Bundles to BASE_URL.
    SendFhir {
        /// The FHIR server's base URL (http:// or https://).
        base_url: String,
        #[command(flatten)]
        select: Select,
        /// Seconds to wait for each Bundle's answer.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Receipts per transaction Bundle.
        #[arg(long, default_value_t = 200)]
        chunk: usize,
        #[arg(long)]
        json: bool,
    },
    /// The posting history (newest first), or every answer for one receipt.
    History {
        /// One receipt's answers.
        #[arg(long, value_name = "NUMBER")]
        receipt: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

fn say_problem(ctx: &Ctx, a: &Answer) {
    println!(
        "  {} {} [{}] {}",
        a.receipt,
        a.outcome.label(ctx.lang),
        a.code,
        a.detail
    );
}

/// Prints the summary; a refusal or an undelivered message is exit 5.
fn finish(ctx: &Ctx, s: &SendSummary, json: bool) -> Result<(), Failure> {
    if json {
        print_json(s)?;
    } else {
        println!(
            "{} {}: {} {}, {} {}, {} {}, {} {}",
            ctx.lang.pick("已发送至", "sent to"),
            s.target,
            ctx.lang.pick("发送", "sent"),
            s.sent,
            ctx.lang.pick("接受", "accepted"),
            s.accepted,
            ctx.lang.pick("拒绝", "refused"),
            s.refused,
            ctx.lang.pick("未送达", "not delivered"),
            s.errors,
        );
        say_skipped(ctx, &s.skipped, Some(s.skipped.already_accepted));
        for a in &s.problems {
            say_problem(ctx, a);
        }
    }
    if s.all_accepted() {
        return Ok(());
    }
    let n = s.refused + s.errors;
    Err(Failure::new(
        ErrorKind::Conflict,
        format!(
            "{} 中 {n} 张未被接受（{} 拒绝，{} 未送达）；再次发送只会补发这些",
            s.target, s.refused, s.errors
        ),
        format!(
            "{n} receipt(s) not accepted by {} ({} refused, {} not delivered); sending again sends only those",
            s.target, s.refused, s.errors
        ),
    ))
}

/// What a batch left out and why; `accepted_before` only for sends.
fn say_skipped(ctx: &Ctx, k: &his::select::Skipped, accepted_before: Option<usize>) {
    let mut line = format!(
        "{}: {} {}, {} {}, {} {}",
        ctx.lang.pick("跳过", "skipped"),
        ctx.lang.pick("演练", "drill"),
        k.drill,
        ctx.lang.pick("作废", "voided"),
        k.voided,
        ctx.lang.pick("已在 HIS", "already in the HIS"),
        k.in_his,
    );
    if let Some(n) = accepted_before {
        line.push_str(&format!(
            ", {} {n}",
            ctx.lang.pick("此前已接受", "accepted before")
        ));
    }
    println!("{line}");
}

pub fn run(ctx: &Ctx, cmd: HisCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    match cmd {
        HisCmd::Export {
            format,
            out,
            select,
            json,
        } => {
            let format = Format::parse(&format)?;
            let s = his::export(
                &mut store,
                &session,
                &ctx.clock,
                format,
                select.selection(),
                &out,
            )?;
            if json {
                return print_json(&s);
            }
            println!(
                "{} {} ({}): {} {}, {} {}, {} {}",
                ctx.lang.pick("已导出", "exported"),
                s.out.display(),
                s.format.as_str(),
                s.receipts,
                ctx.lang.pick("张票据", "receipts"),
                s.rows,
                ctx.lang.pick("行", "rows"),
                ctx.lang.pick("合计", "total"),
                s.total,
            );
            say_skipped(ctx, &s.skipped, None);
            Ok(())
        }
        HisCmd::SendHl7 {
            target,
            select,
            ack_timeout,
            retries,
            json,
        } => {
            let opts = mllp::Options {
                ack_timeout: Duration::from_secs(ack_timeout.max(1)),
                retries,
                ..Default::default()
            };
            let s = his::send_hl7(
                &mut store,
                &session,
                &ctx.clock,
                &target,
                select.selection(),
                &opts,
                &|_, _| {},
            )?;
            finish(ctx, &s, json)
        }
        HisCmd::SendFhir {
            base_url,
            select,
            timeout,
            chunk,
            json,
        } => {
            let opts = fhir::Options {
                timeout: Duration::from_secs(timeout.max(1)),
                chunk: chunk.max(1),
            };
            let s = his::send_fhir(
                &mut store,
                &session,
                &ctx.clock,
                &base_url,
                select.selection(),
                &opts,
                &|_, _| {},
            )?;
            finish(ctx, &s, json)
        }
        HisCmd::History {
            receipt,
            limit,
            json,
        } => {
            session
                .require(crate::auth::Role::Finance, "read the posting history")
                .map_err(Failure::from)?;
            if let Some(n) = receipt {
                let rows = postings::answers(store.conn(), Some(n.trim()))?;
                if json {
                    return print_json(&rows);
                }
                for r in &rows {
                    println!(
                        "{} {} {} {} [{}] {}",
                        r.at,
                        r.channel,
                        r.target,
                        r.outcome.label(ctx.lang),
                        r.code,
                        r.detail
                    );
                }
                return Ok(());
            }
            let rows = postings::history(store.conn(), limit)?;
            if json {
                return print_json(&rows);
            }
            for b in &rows {
                println!(
                    "#{} {} {} {} {}: {} {}, {} {}, {} {}, {} {}",
                    b.id,
                    b.started_at,
                    b.channel,
                    b.target,
                    b.user,
                    ctx.lang.pick("票据", "receipts"),
                    b.receipts,
                    ctx.lang.pick("接受", "accepted"),
                    b.accepted,
                    ctx.lang.pick("拒绝", "refused"),
                    b.refused,
                    ctx.lang.pick("未送达", "not delivered"),
                    b.errors
                );
            }
            Ok(())
        }
    }
}
