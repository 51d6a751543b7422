//! A prepared statement that binds text and blob values where they lie
//! (SQLite's `SQLITE_STATIC`) instead of having SQLite copy each one
//! (rusqlite binds every text as `SQLITE_TRANSIENT`: an allocation, a copy
//! and a free per value). The journal import binds millions of values a
//! second; the copies were about a tenth of its writing thread.
//!
//! Sound because the values are borrowed only for the duration of
//! [`InPlace::execute`], which steps the statement to its end and then
//! resets it and clears its bindings before it returns: SQLite holds no
//! pointer into them afterwards. The statement cannot outlive the
//! connection it was prepared on (`'c`), and is finalized when dropped.

use rusqlite::Connection;
use rusqlite::ffi;
use rusqlite::types::Value;
use std::ffi::c_int;
use std::marker::PhantomData;
use std::ptr::NonNull;

pub struct InPlace<'c> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    db: *mut ffi::sqlite3,
    params: usize,
    _conn: PhantomData<&'c Connection>,
}

/// The error SQLite reports for `rc` on `db`, as rusqlite reports its own
/// (the extended code, so a UNIQUE failure is told apart).
fn failure(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is the open connection the statement belongs to;
    // `sqlite3_errmsg` returns a string SQLite owns, copied at once.
    let msg = unsafe {
        let p = ffi::sqlite3_errmsg(db);
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), msg)
}

impl<'c> InPlace<'c> {
    /// Prepares `sql` (one statement) on `conn`.
    pub fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        let len = c_int::try_from(sql.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        let mut stmt = std::ptr::null_mut();
        // SAFETY: the handle is the live connection `conn` borrows for 'c;
        // `sql` is valid for `len` bytes during the call.
        let db = unsafe { conn.handle() };
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                sql.as_ptr().cast(),
                len,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(failure(db, rc));
        }
        let stmt = NonNull::new(stmt).ok_or(rusqlite::Error::InvalidQuery)?;
        // SAFETY: `stmt` was just prepared.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        Ok(Self {
            stmt,
            db,
            params: usize::try_from(params).unwrap_or(0),
            _conn: PhantomData,
        })
    }

    /// Binds `vals` (exactly one per parameter) and runs the statement to
    /// its end. The statement is reset and its bindings cleared whatever
    /// the outcome.
    pub fn execute<'v>(
        &mut self,
        vals: impl IntoIterator<Item = &'v Value>,
    ) -> rusqlite::Result<()> {
        let result = self.bind_and_step(vals);
        // SAFETY: the statement is live; after these two calls it holds no
        // pointer into `vals` (the borrow ends with this call).
        unsafe {
            ffi::sqlite3_reset(self.stmt.as_ptr());
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
        }
        result
    }

    fn bind_and_step<'v>(
        &mut self,
        vals: impl IntoIterator<Item = &'v Value>,
    ) -> rusqlite::Result<()> {
        let stmt = self.stmt.as_ptr();
        let mut n = 0usize;
        for v in vals {
            n += 1;
            if n > self.params {
                return Err(rusqlite::Error::InvalidParameterCount(n, self.params));
            }
            let i = c_int::try_from(n).map_err(|_| rusqlite::Error::InvalidQuery)?;
            // SAFETY: `stmt` is live and `i` within its parameters; text and
            // blobs are bound SQLITE_STATIC: `v` outlives the step below,
            // and `execute` clears the bindings before the borrow ends.
            let rc = unsafe {
                match v {
                    Value::Null => ffi::sqlite3_bind_null(stmt, i),
                    Value::Integer(x) => ffi::sqlite3_bind_int64(stmt, i, *x),
                    Value::Real(x) => ffi::sqlite3_bind_double(stmt, i, *x),
                    Value::Text(s) => ffi::sqlite3_bind_text(
                        stmt,
                        i,
                        s.as_ptr().cast(),
                        c_int::try_from(s.len()).map_err(|_| rusqlite::Error::InvalidQuery)?,
                        ffi::SQLITE_STATIC(),
                    ),
                    Value::Blob(b) => ffi::sqlite3_bind_blob(
                        stmt,
                        i,
                        b.as_ptr().cast(),
                        c_int::try_from(b.len()).map_err(|_| rusqlite::Error::InvalidQuery)?,
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(failure(self.db, rc));
            }
        }
        if n != self.params {
            return Err(rusqlite::Error::InvalidParameterCount(n, self.params));
        }
        // SAFETY: every parameter is bound to a value still borrowed.
        match unsafe { ffi::sqlite3_step(stmt) } {
            ffi::SQLITE_DONE => Ok(()),
            ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
            rc => Err(failure(self.db, rc)),
        }
    }
}

impl Drop for InPlace<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized once, here.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE, c BLOB, d REAL) STRICT",
        )
        .unwrap();
        c
    }

    #[test]
    fn values_are_stored_as_given_and_survive_their_buffers() {
        let c = conn();
        {
            let mut ins = InPlace::prepare(
                &c,
                "INSERT INTO t(a, b, c, d) VALUES (?, ?, ?, ?), (?, ?, ?, ?)",
            )
            .unwrap();
            for round in 0..3i64 {
                // Fresh buffers each round, dropped right after the call.
                let vals = vec![
                    Value::Integer(round * 2 + 1),
                    Value::Text(format!("收费 {round} α")),
                    Value::Blob(vec![round as u8; 32]),
                    Value::Real(1.5),
                    Value::Integer(round * 2 + 2),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ];
                ins.execute(&vals).unwrap();
                drop(vals);
            }
        }
        let got: Vec<(i64, Option<String>, Option<Vec<u8>>)> = c
            .prepare("SELECT a, b, c FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got.len(), 6);
        assert_eq!(
            got[2],
            (3, Some("收费 1 α".to_string()), Some(vec![1u8; 32]))
        );
        assert_eq!(got[5], (6, None, None));
    }

    #[test]
    fn a_unique_failure_is_told_as_rusqlite_tells_it_and_the_statement_stays_usable() {
        let c = conn();
        let mut ins = InPlace::prepare(&c, "INSERT INTO t(b) VALUES (?)").unwrap();
        ins.execute(&[Value::Text("MZ01-00000001".into())]).unwrap();
        let err = ins
            .execute(&[Value::Text("MZ01-00000001".into())])
            .unwrap_err();
        match err {
            rusqlite::Error::SqliteFailure(e, Some(msg)) => {
                assert_eq!(e.extended_code, ffi::SQLITE_CONSTRAINT_UNIQUE);
                assert!(msg.contains("t.b"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        ins.execute(&[Value::Text("MZ01-00000002".into())]).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn too_few_or_too_many_values_are_refused_before_a_step() {
        let c = conn();
        let mut ins = InPlace::prepare(&c, "INSERT INTO t(a, b) VALUES (?, ?)").unwrap();
        assert!(matches!(
            ins.execute(&[Value::Integer(1)]),
            Err(rusqlite::Error::InvalidParameterCount(1, 2))
        ));
        assert!(matches!(
            ins.execute(&[Value::Integer(1), Value::Null, Value::Null]),
            Err(rusqlite::Error::InvalidParameterCount(3, 2))
        ));
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        assert!(InPlace::prepare(&c, "INSERT INTO nowhere VALUES (?)").is_err());
    }
}
