//! Why a store operation failed, sorted by what the caller can do about it.

/// A boxed error from a store's driver.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed.
///
/// The kind says whether trying again can help: [`StoreError::is_transient`]
/// is what the dispatcher's record loop and an app's retry logic decide on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not do it now: the connection failed or was lost, a
    /// lock or a connection was not free in time, the disk was full, the
    /// server is shutting down. The same operation may succeed later.
    #[error("delivery store unavailable: {0}")]
    Transient(#[source] BoxError),
    /// The operation clashed with a row that exists (a duplicate key): the
    /// same operation fails again.
    #[error("delivery store conflict: {0}")]
    Conflict(#[source] BoxError),
    /// The store holds something this crate cannot read: an unknown state,
    /// a value out of range, a schema newer than this crate's.
    #[error("delivery store holds data this crate cannot read: {0}")]
    Corrupt(String),
    /// The input cannot be stored (text with a NUL character on
    /// PostgreSQL, an outcome that finishes a delivery as pending).
    #[error("delivery store refused the input: {0}")]
    Invalid(String),
    /// The store was closed.
    #[error("delivery store closed")]
    Closed,
}

impl StoreError {
    /// True when trying the same operation again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Transient(_))
    }

    /// The same kind of error, with the same message, for another caller
    /// (one failed commit fails every command it held).
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn duplicate(&self) -> StoreError {
        match self {
            StoreError::Transient(e) => StoreError::Transient(e.to_string().into()),
            StoreError::Conflict(e) => StoreError::Conflict(e.to_string().into()),
            StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
            StoreError::Invalid(m) => StoreError::Invalid(m.clone()),
            StoreError::Closed => StoreError::Closed,
        }
    }

    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    pub(crate) fn corrupt(message: impl Into<String>) -> StoreError {
        StoreError::Corrupt(message.into())
    }

    pub(crate) fn invalid(message: impl Into<String>) -> StoreError {
        StoreError::Invalid(message.into())
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        use sqlx::Error as E;
        match error {
            E::PoolClosed | E::WorkerCrashed => StoreError::Closed,
            E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::Protocol(_) => {
                StoreError::Transient(error.into())
            }
            E::ColumnDecode { .. }
            | E::Decode(_)
            | E::ColumnNotFound(_)
            | E::ColumnIndexOutOfBounds { .. }
            | E::TypeNotFound { .. }
            | E::RowNotFound => StoreError::Corrupt(error.to_string()),
            E::Configuration(_) | E::InvalidArgument(_) | E::Encode(_) => {
                StoreError::Invalid(error.to_string())
            }
            E::Migrate(ref migrate) => match **migrate {
                sqlx::migrate::MigrateError::Execute(_) => StoreError::Transient(error.into()),
                _ => StoreError::Corrupt(error.to_string()),
            },
            E::Database(ref database) => {
                if database.is_unique_violation() {
                    return StoreError::Conflict(error.into());
                }
                match database.code().as_deref().map(database_code_kind) {
                    Some(Kind::Transient) => StoreError::Transient(error.into()),
                    Some(Kind::Invalid) => StoreError::Invalid(error.to_string()),
                    _ => StoreError::Corrupt(error.to_string()),
                }
            }
            other => StoreError::Transient(other.into()),
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
enum Kind {
    Transient,
    Invalid,
    Other,
}

/// Sorts a database's error code: SQLite's primary result codes (the low
/// byte of an extended code) and PostgreSQL's SQLSTATE classes.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
fn database_code_kind(code: &str) -> Kind {
    // A SQLSTATE is five characters; SQLite's codes are numbers of at most
    // four digits.
    if code.len() < 5 {
        let Ok(number) = code.parse::<i32>() else {
            return Kind::Other;
        };
        // SQLite: BUSY 5, LOCKED 6, NOMEM 7, IOERR 10, FULL 13, CANTOPEN 14,
        // PROTOCOL 15 are conditions of the moment; CONSTRAINT 19, TOOBIG 18,
        // MISMATCH 20 and RANGE 25 are the input's.
        return match number & 0xff {
            5 | 6 | 7 | 10 | 13 | 14 | 15 => Kind::Transient,
            18 | 19 | 20 | 25 => Kind::Invalid,
            _ => Kind::Other,
        };
    }
    match code.get(..2) {
        // Connection exceptions, transaction rollbacks (serialization,
        // deadlock), insufficient resources, operator intervention (shutdown),
        // system errors.
        Some("08" | "40" | "53" | "57" | "58") => Kind::Transient,
        // Data exceptions (a NUL in text, a value out of range), integrity
        // violations other than a duplicate.
        Some("22" | "23") => Kind::Invalid,
        _ => Kind::Other,
    }
}

#[cfg(all(test, any(feature = "sqlite", feature = "postgres")))]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_by_what_retrying_can_do() {
        let table: &[(&str, &str)] = &[
            ("5", "transient"),     // SQLITE_BUSY
            ("517", "transient"),   // SQLITE_BUSY_SNAPSHOT
            ("13", "transient"),    // SQLITE_FULL
            ("2067", "invalid"),    // SQLITE_CONSTRAINT_UNIQUE
            ("275", "invalid"),     // SQLITE_CONSTRAINT_CHECK
            ("11", "other"),        // SQLITE_CORRUPT
            ("40001", "transient"), // serialization_failure
            ("40P01", "transient"), // deadlock_detected
            ("57P01", "transient"), // admin_shutdown
            ("08006", "transient"), // connection_failure
            ("22021", "invalid"),   // character_not_in_repertoire (NUL)
            ("23514", "invalid"),   // check_violation
            ("42P01", "other"),     // undefined_table
        ];
        for &(code, expected) in table {
            let got = match database_code_kind(code) {
                Kind::Transient => "transient",
                Kind::Invalid => "invalid",
                Kind::Other => "other",
            };
            assert_eq!(got, expected, "{code}");
        }
    }

    #[test]
    fn only_transient_errors_are_worth_retrying() {
        assert!(StoreError::from(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!StoreError::from(sqlx::Error::PoolClosed).is_transient());
        assert!(!StoreError::corrupt("unknown delivery status \"lost\"").is_transient());
        assert_eq!(
            StoreError::from(sqlx::Error::PoolClosed).to_string(),
            "delivery store closed"
        );
    }
}
