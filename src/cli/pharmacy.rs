//! `pharmacy verify|dispense|return|today`: the pharmacist's scan, the
//! handing out of drug lines and the confirmation of drugs coming back.
//! A refused receipt (drill, voided, refunded, fully dispensed) is still
//! shown, then the reason goes to stderr with exit 5; a forged code is
//! exit 4.

use super::{Ctx, print_json};
use crate::error::{ErrorKind, Failure, UserFacing};
use crate::i18n::Lang;
use crate::keys::SigningKey;
use crate::pharmacy::{self, Check, LineQty, PharmacyError, Recorded};

#[derive(Debug, clap::Subcommand)]
pub enum PharmacyCmd {
    /// Verifies a scanned QR code (or looks up a typed receipt number here):
    /// 0 genuine, 4 forged/altered/foreign key, 5 drill, voided, refunded or
    /// fully dispensed.
    Verify {
        /// The scanned QR text, or a receipt number.
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Records the handing out of drug lines (all that is left by default).
    Dispense {
        /// The scanned QR text, or a receipt number known here.
        code: String,
        #[arg(long = "line", value_name = "N[:QTY]", num_args = 1..)]
        lines: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Confirms drugs coming back (for a refund or insurance re-settlement).
    Return {
        /// The receipt number (or its scanned QR text).
        number: String,
        #[arg(long = "line", value_name = "N[:QTY]", required = true, num_args = 1..)]
        lines: Vec<String>,
        /// Why: refund, insurance re-settlement …
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Dispensings and returns of this terminal on a date (default today).
    Today {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// The signing key the session unlocked at login.
fn key(session: &crate::auth::Session) -> Result<SigningKey, Failure> {
    Ok(session.key()?.clone())
}

fn parse_lines(raw: &[String]) -> Result<Vec<LineQty>, Failure> {
    raw.iter()
        .map(|s| LineQty::parse(s).map_err(Failure::from))
        .collect()
}

fn dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("—")
}

/// The result as a person reads it at the counter.
pub fn print_check(lang: Lang, c: &Check) {
    let head = match (&c.refusal, c.verified) {
        (Some(_), _) => lang.pick("✘ 拒绝", "✘ REFUSED"),
        (None, true) => lang.pick("✔ 真实票据", "✔ GENUINE"),
        (None, false) => lang.pick(
            "？ 本机记录（未经签名核验）",
            "? ON RECORD HERE (not verified)",
        ),
    };
    println!("{head}  {}  {}  {}", c.number, c.issued_at, c.total);
    if let Some(m) = &c.message {
        println!("{}", m.text(lang));
    }
    let payer = match c.payer_type.as_deref() {
        Some("insured_full_pay") => lang.pick(
            "医保患者（全额自付，待重新结算）",
            "insured (paid in full, to be re-settled)",
        ),
        Some("self_pay") => lang.pick("自费", "self-pay"),
        _ => lang.pick("付费类型未知", "payer type unknown"),
    };
    let drill = match c.drill {
        Some(true) => lang.pick("演练", "DRILL"),
        Some(false) => lang.pick("非演练", "not a drill"),
        None => lang.pick("无演练标记", "no drill flag"),
    };
    println!(
        "{}: {}  {}  {}  {}: {}",
        lang.pick("终端", "terminal"),
        c.terminal,
        payer,
        drill,
        lang.pick("价目表", "price list"),
        dash(&c.snapshot_month)
    );
    for l in &c.lines {
        let what = match (&l.name, &l.problem) {
            (Some(n), _) => format!(
                "{n} {} {} [{}]",
                dash(&l.spec),
                dash(&l.unit),
                dash(&l.category)
            ),
            (None, Some(p)) => format!("({})", p.text(lang)),
            (None, None) => String::new(),
        };
        let drug = match l.drug {
            Some(true) => lang.pick("药品", "drug"),
            Some(false) => lang.pick("非药品", "not a drug"),
            None => lang.pick("未知", "unknown"),
        };
        println!(
            "  {:>2} {} {what} × {}  {drug}  {} {}  {} {}  {} {}",
            l.line,
            l.code,
            l.qty.normalize(),
            lang.pick("已发", "dispensed"),
            l.dispensed.normalize(),
            lang.pick("已退回", "returned"),
            l.returned.normalize(),
            lang.pick("待发", "to dispense"),
            l.to_dispense.normalize(),
        );
    }
    for n in &c.notes {
        println!("{}", n.text(lang));
    }
}

fn print_recorded(lang: Lang, rows: &[Recorded]) {
    for r in rows {
        let kind = if r.kind == "dispensed" {
            lang.pick("发药", "dispensed")
        } else {
            lang.pick("退药确认", "return confirmed")
        };
        println!(
            "{} {} {} {} {} × {} {} {}",
            r.at,
            kind,
            r.receipt_number,
            r.line,
            r.code,
            r.qty.normalize(),
            r.user,
            r.reason.as_deref().unwrap_or("")
        );
    }
}

fn refused(c: &Check) -> Option<Failure> {
    let m = c.message.as_ref()?;
    Some(Failure::new(ErrorKind::Conflict, &m.zh, &m.en))
}

pub fn run(ctx: &Ctx, cmd: PharmacyCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    match cmd {
        PharmacyCmd::Verify { code, json } => {
            let key = key(&session)?;
            match pharmacy::check(store.conn(), &session, &key, &code) {
                Ok(c) => {
                    if json {
                        print_json(&c)?;
                    } else {
                        print_check(ctx.lang, &c);
                    }
                    match refused(&c) {
                        Some(f) => Err(f),
                        None => Ok(()),
                    }
                }
                Err(e @ (PharmacyError::Code(_) | PharmacyError::NotKnown(_))) => {
                    if json {
                        let outcome = if matches!(e, PharmacyError::Code(_)) {
                            "forged"
                        } else {
                            "not_known"
                        };
                        print_json(&serde_json::json!({
                            "outcome": outcome,
                            "verified": false,
                            "message": {"zh": e.message(Lang::Zh), "en": e.message(Lang::En)},
                        }))?;
                    }
                    Err(e.into())
                }
                Err(e) => Err(e.into()),
            }
        }
        PharmacyCmd::Dispense { code, lines, json } => {
            let key = key(&session)?;
            let lines = parse_lines(&lines)?;
            let d = pharmacy::dispense(&mut store, &session, &ctx.clock, &key, &code, &lines)?;
            if json {
                return print_json(&d);
            }
            print_recorded(ctx.lang, &d.recorded);
            if d.complete {
                ctx.say("已全部发药", "fully dispensed");
            } else {
                ctx.say(
                    "部分发药：仍有药品待发（见“待发”）",
                    "partly dispensed: some drugs are still to hand out (see 'to dispense')",
                );
                print_check(ctx.lang, &d.check);
            }
            Ok(())
        }
        PharmacyCmd::Return {
            number,
            lines,
            reason,
            json,
        } => {
            let key = key(&session)?;
            let lines = parse_lines(&lines)?;
            let rows = pharmacy::confirm_return(
                &mut store,
                &session,
                &ctx.clock,
                &key,
                &number,
                &lines,
                reason.as_deref(),
            )?;
            if json {
                return print_json(&rows);
            }
            print_recorded(ctx.lang, &rows);
            Ok(())
        }
        PharmacyCmd::Today { date, json } => {
            use crate::clock::Clock;
            session.require_any(
                &[crate::auth::Role::Pharmacist, crate::auth::Role::Admin],
                "list dispensings",
            )?;
            let date = match date {
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                    Failure::new(
                        ErrorKind::Invalid,
                        format!("--date：“{d}”应为 YYYY-MM-DD"),
                        format!("--date: '{d}' should be YYYY-MM-DD"),
                    )
                })?,
                None => ctx.clock.now().date_naive(),
            };
            let rows = pharmacy::day(store.conn(), session.terminal().as_str(), date)?;
            if json {
                return print_json(&rows);
            }
            print_recorded(ctx.lang, &rows);
            Ok(())
        }
    }
}
