//! Reading the reports' numbers so that no stored value can make a report fail.
//!
//! SQLite's integers are i64, but its arithmetic leaves them silently: `a + b` past i64 becomes
//! a REAL, and `sum()` aborts the whole query with "integer overflow". A daily sum kept by a
//! trigger before the per-session bounds of migration 0011 (or written by anyone else) may hold
//! such a REAL, and sqlx refuses to decode a REAL as i64 — one bad row was a 500 for every report.
//! So the report queries read every number through [`SaturatingInt`], and sum with
//! [`split_sum!`], which cannot overflow; out-of-range values become the nearest i64.

use sqlx::sqlite::SqliteValueRef;
use sqlx::{Decode, Sqlite, Type, TypeInfo, ValueRef};

/// An exact `sum()` of an integer column that never fails: each value is split into its high
/// and low 32 bits (`x = hi·2³² + lo`, `lo` in `[0, 2³²)`), which sum without overflow for
/// billions of rows; the two sums come back as the text `hi:lo`, put together by
/// [`SaturatingInt`] in i128 and clamped to i64. A REAL in the column counts as its nearest
/// integer (SQLite's CAST saturates). NULL when there are no rows, like `sum()`.
macro_rules! split_sum {
    ($expression:literal) => {
        concat!(
            "(sum(CAST(", $expression, " AS INTEGER) >> 32) || ':' || sum(CAST(", $expression, " AS INTEGER) & 4294967295))"
        )
    };
}
pub(crate) use split_sum;

/// An integer as the reports read it: an INTEGER as is, a REAL clamped to i64 (NaN is 0), a
/// [`split_sum!`] or integer text put together and clamped, NULL and anything else 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SaturatingInt(pub i64);

/// The same, keeping NULL apart (a maximum over no sessions is none, not 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OptionalSaturatingInt(pub Option<i64>);

impl From<SaturatingInt> for i64 {
    fn from(n: SaturatingInt) -> Self {
        n.0
    }
}

impl From<OptionalSaturatingInt> for Option<i64> {
    fn from(n: OptionalSaturatingInt) -> Self {
        n.0
    }
}

fn clamp_i128(n: i128) -> i64 {
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

/// `float as i64` saturates in Rust (and NaN becomes 0).
fn clamp_f64(x: f64) -> i64 {
    x as i64
}

/// A [`split_sum!`] (`hi:lo`) or a plain integer, in text.
fn parse_text(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some((hi, lo)) = text.split_once(':') {
        let (hi, lo): (i128, i128) = (hi.parse().ok()?, lo.parse().ok()?);
        return Some(clamp_i128(hi * (1 << 32) + lo));
    }
    text.parse::<i128>().ok().map(clamp_i128).or_else(|| text.parse::<f64>().ok().map(clamp_f64))
}

fn decode_lenient(value: SqliteValueRef<'_>) -> Result<Option<i64>, sqlx::error::BoxDynError> {
    if value.is_null() {
        return Ok(None);
    }
    let kind = value.type_info().name().to_owned();
    Ok(match kind.as_str() {
        "REAL" => Some(clamp_f64(<f64 as Decode<Sqlite>>::decode(value)?)),
        "TEXT" => Some(parse_text(&<String as Decode<Sqlite>>::decode(value)?).unwrap_or(0)),
        "BLOB" => Some(0),
        _ => Some(<i64 as Decode<Sqlite>>::decode(value)?),
    })
}

impl Type<Sqlite> for SaturatingInt {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(_: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        true
    }
}

impl<'r> Decode<'r, Sqlite> for SaturatingInt {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Self(decode_lenient(value)?.unwrap_or(0)))
    }
}

impl Type<Sqlite> for OptionalSaturatingInt {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(_: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        true
    }
}

impl<'r> Decode<'r, Sqlite> for OptionalSaturatingInt {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Self(decode_lenient(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn any_stored_number_reads_as_a_clamped_integer_and_sums_never_fail() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&pool).await.unwrap();
        // A REAL past i64 (what `+` overflows to), both ends of i64, text, a blob.
        sqlx::query("INSERT INTO t VALUES (1.8e19), (9223372036854775807), (-9223372036854775808), (-1e300), ('12'), (x'00'), (NULL)")
            .execute(&pool)
            .await
            .unwrap();
        let read: Vec<(OptionalSaturatingInt,)> = sqlx::query_as("SELECT x FROM t ORDER BY rowid").fetch_all(&pool).await.unwrap();
        let read: Vec<Option<i64>> = read.into_iter().map(|(n,)| n.0).collect();
        assert_eq!(read, [Some(i64::MAX), Some(i64::MAX), Some(i64::MIN), Some(i64::MIN), Some(12), Some(0), None]);

        macro_rules! sum {
            ($filter:literal) => {
                async {
                    let (n,): (SaturatingInt,) = sqlx::query_as(concat!("SELECT ", split_sum!("x"), " FROM t WHERE ", $filter)).fetch_one(&pool).await.unwrap();
                    n.0
                }
            };
        }
        assert_eq!(sum!("x = 9223372036854775807 AND typeof(x) = 'integer'").await, i64::MAX, "one value, exact");
        assert_eq!(sum!("typeof(x) <> 'blob'").await, 10, "MAX + MAX + MIN + MIN + 12, exactly (the REALs saturate first)");
        assert_eq!(sum!("x > 0").await, i64::MAX, "past i64: clamped, not an error");
        assert_eq!(sum!("x < 0").await, i64::MIN);
        assert_eq!(sum!("0").await, 0, "no rows");
        let exact: i64 = [-5_i64, 7, 1 << 40, -(1 << 33)].iter().sum();
        sqlx::query("DELETE FROM t").execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO t VALUES (-5), (7), (1099511627776), (-8589934592)").execute(&pool).await.unwrap();
        assert_eq!(sum!("1").await, exact, "negative values split and join exactly");
        // Plain SQLite, for contrast: the same rows past i64 abort the query.
        sqlx::query("INSERT INTO t VALUES (9223372036854775807)").execute(&pool).await.unwrap();
        assert!(sqlx::query("SELECT sum(x) FROM t").fetch_one(&pool).await.is_err());
        pool.close().await;
    }
}
