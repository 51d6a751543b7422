//! The calendar capability's own check for `verify`: every recorded
//! schedule still hashes to the fingerprint it was imported with, and the
//! imports and their audit entries name each other. Deadlines printed on
//! receipts were computed from these rows, so an entry edited behind the
//! program's back (a holiday moved, a make-up day dropped) must be named.

use super::CalendarError;
use super::storage::recorded_calendar;
use crate::error::UserFacing;
use crate::keys::SigningKey;
use crate::store::StoreError;
use crate::verify::{Checked, Problem};
use rusqlite::Connection;

const CHECK: &str = "calendar";

/// Each `calendar_imports` row: its entries still give its `sha256`, and an
/// audit entry `calendar.import` records that year and digest; each such
/// audit entry still has its import row.
pub fn imports_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    let mut out = Checked::default();
    let imports: Vec<(i64, i32, String, String)> = conn
        .prepare("SELECT id, year, source, sha256 FROM calendar_imports ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut audited: Vec<(i64, i64, String)> = Vec::new();
    for (seq, action, d) in crate::verify::audit_details(conn)? {
        if action != "calendar.import" {
            continue;
        }
        if let (Some(year), Some(sha)) = (
            d.get("year").and_then(|v| v.as_i64()),
            d.get("sha256").and_then(|v| v.as_str()),
        ) {
            audited.push((seq, year, sha.to_string()));
        }
    }
    for (id, year, source, sha256) in &imports {
        out.records += 1;
        let record = format!("calendar_imports id {id} ({year})");
        match recorded_calendar(conn, *id, *year, source.clone()) {
            Ok(cal) => {
                let now = cal.fingerprint();
                if &now != sha256 {
                    out.problems.push(Problem::new(
                        CHECK,
                        record.clone(),
                        "its entries were changed after import (they no longer hash to the recorded fingerprint)",
                        "导入后节假日条目被改动（与记录的指纹不符）",
                    ));
                }
            }
            Err(CalendarError::Store(e)) if !matches!(e, StoreError::Corrupt { .. }) => {
                return Err(e);
            }
            Err(e) => out.problems.push(Problem::new(
                CHECK,
                record.clone(),
                format!(
                    "its entries cannot be read back: {}",
                    e.message(crate::i18n::Lang::En)
                ),
                format!("节假日条目无法读取：{}", e.message(crate::i18n::Lang::Zh)),
            )),
        }
        match audited
            .iter()
            .position(|(_, y, s)| *y == i64::from(*year) && s == sha256)
        {
            Some(i) => {
                audited.remove(i);
            }
            None => out.problems.push(Problem::new(
                CHECK,
                record,
                "no audit entry records this import (inserted behind the program's back)",
                "审计记录中没有这次导入（被绕过程序插入）",
            )),
        }
    }
    for (seq, year, _) in audited {
        out.problems.push(Problem::new(
            CHECK,
            format!("audit_log seq {seq}"),
            format!("the {year} calendar import it records is missing (deleted)"),
            format!("其记录的 {year} 年节假日导入已不存在（被删除）"),
        ));
    }
    Ok(out)
}
