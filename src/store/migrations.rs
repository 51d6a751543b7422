//! Versioned schema migrations (`PRAGMA user_version` counts those applied).
//! Each capability owns its schema file; a table that holds records that
//! matter is declared append-only in one line (`append_only: &["table"]`),
//! and the migration creates the triggers that refuse UPDATE and DELETE on
//! it. `verify` checks those triggers are still there.

use super::StoreError;
use rusqlite::Connection;

pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
    /// Tables this migration creates that may only ever be inserted into.
    pub append_only: &'static [&'static str],
}

/// In order; never reorder or edit a released entry, only append.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "core",
        sql: include_str!("schema_core.sql"),
        append_only: &[],
    },
    Migration {
        name: "auth",
        sql: include_str!("../auth/schema.sql"),
        append_only: &[],
    },
    Migration {
        name: "audit",
        sql: include_str!("../audit/schema.sql"),
        append_only: &["audit_log"],
    },
    Migration {
        name: "prices",
        sql: include_str!("../prices/schema.sql"),
        append_only: &["price_snapshots", "price_items"],
    },
    Migration {
        name: "calendar",
        sql: include_str!("../calendar/schema.sql"),
        append_only: &["calendar_imports", "calendar_entries"],
    },
    Migration {
        name: "receipts",
        sql: include_str!("../receipts/schema.sql"),
        append_only: &[
            "episodes",
            "episode_closures",
            "receipt_ranges",
            "receipts",
            "receipt_lines",
            "receipt_payments",
            "receipt_events",
            "shift_closes",
        ],
    },
    Migration {
        name: "backups",
        sql: include_str!("../backup/schema.sql"),
        append_only: &["backups"],
    },
    Migration {
        name: "pharmacy",
        sql: include_str!("../pharmacy/schema.sql"),
        append_only: &["dispensings"],
    },
    Migration {
        name: "his",
        sql: include_str!("../his/schema.sql"),
        append_only: &["his_batches", "his_postings"],
    },
    Migration {
        name: "finance",
        sql: include_str!("../finance/schema.sql"),
        append_only: &[
            "journal_imports",
            "journal_map",
            "journal_receipts",
            "journal_events",
            "journal_audit",
            "journal_collisions",
            "his_invoices",
        ],
    },
    Migration {
        name: "numbering",
        sql: include_str!("../receipts/numbering.sql"),
        append_only: &["lost_numbers"],
    },
    Migration {
        name: "audit_keyed",
        sql: include_str!("../audit/keyed.sql"),
        append_only: &[],
    },
    Migration {
        name: "price_aliases",
        // 别名/俗称 of the price items that have any, by snapshot and row.
        sql: "CREATE TABLE price_aliases (
                  snapshot_id INTEGER NOT NULL REFERENCES price_snapshots(id),
                  row_no      INTEGER NOT NULL,
                  aliases     TEXT NOT NULL,
                  PRIMARY KEY (snapshot_id, row_no)
              );",
        append_only: &["price_aliases"],
    },
    Migration {
        name: "key_wraps",
        // The signing key wrapped per user under their PIN (keys::wrap).
        sql: crate::keys::wrap::SCHEMA,
        append_only: &[],
    },
    Migration {
        name: "check_lists",
        // Value-list CHECKs as comparisons, a partial index on credit notes'
        // originals: cheaper row inserts for journal import and reconcile.
        sql: include_str!("../finance/check_lists.sql"),
        append_only: &[],
    },
    Migration {
        name: "journal_runs",
        // Receipts' id map as runs, their digests by local id: fewer and
        // smaller rows per imported receipt.
        sql: include_str!("../finance/journal_runs.sql"),
        append_only: &["journal_receipt_digests"],
    },
];

/// Every table declared append-only, across all migrations.
pub fn append_only_tables() -> impl Iterator<Item = &'static str> {
    MIGRATIONS
        .iter()
        .flat_map(|m| m.append_only.iter().copied())
}

/// The SQL that makes `table` append-only.
pub fn append_only_sql(table: &str) -> String {
    format!(
        "CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
           BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END;
         CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
           BEGIN SELECT RAISE(ABORT, 'append-only table {table}: DELETE refused'); END;"
    )
}

/// Names of the triggers that must exist for `table`.
pub fn append_only_triggers(table: &str) -> [String; 2] {
    [format!("{table}_no_update"), format!("{table}_no_delete")]
}

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::TooNew {
            path: Default::default(),
            found: current,
            supported: known,
        });
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        for t in m.append_only {
            tx.execute_batch(&append_only_sql(t))?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = m.name, version = i + 1, "schema migrated");
    }
    Ok(())
}
