//! Slack's pace in PostgreSQL: the token buckets and budgets every replica spends from,
//! each take one short transaction that locks the bucket's row and counts with the
//! database's clock.

use async_trait::async_trait;

use super::{BucketState, PaceStore, Postgres, Take};

/// The database's clock in Unix milliseconds.
const NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// A bucket refilled to `now`: its tokens and where its refill counts from.
fn refilled(state: &BucketState, capacity: f64, per_ms: f64) -> (f64, i64) {
    let elapsed = (state.now_ms - state.last_ms).max(0) as f64;
    (
        (state.tokens + elapsed * per_ms).min(capacity),
        state.last_ms.max(state.now_ms),
    )
}

/// Takes a slot from `state` if there is one: the wait (0: taken) and the bucket after.
fn take_from(state: BucketState, capacity: f64, per_ms: f64) -> Take {
    if state.blocked_until_ms > state.now_ms {
        return Take {
            wait_ms: state.blocked_until_ms - state.now_ms,
            state,
        };
    }
    let (tokens, last_ms) = refilled(&state, capacity, per_ms);
    let mut after = BucketState {
        tokens,
        last_ms,
        ..state
    };
    if tokens >= 1.0 {
        after.tokens -= 1.0;
        return Take {
            wait_ms: 0,
            state: after,
        };
    }
    let wait = (last_ms - state.now_ms) as f64 + (1.0 - tokens) / per_ms;
    Take {
        wait_ms: wait.ceil().max(1.0) as i64,
        state: after,
    }
}

#[async_trait]
impl PaceStore for Postgres {
    async fn take(
        &self,
        method: &str,
        workspace: &str,
        capacity: f64,
        per_ms: f64,
        arrival_ms: i64,
    ) -> Result<Take, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO slack_buckets (method, workspace, tokens, last_ms)
             VALUES ($1, $2, $3, {NOW} + $4) ON CONFLICT DO NOTHING"
        )))
        .bind(method)
        .bind(workspace)
        .bind(capacity)
        .bind(arrival_ms)
        .execute(&mut *tx)
        .await?;
        let (tokens, last_ms, blocked_until_ms, now_ms): (f64, i64, i64, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT tokens, last_ms, blocked_until_ms, {NOW} FROM slack_buckets
                 WHERE method = $1 AND workspace = $2 FOR UPDATE"
            )))
            .bind(method)
            .bind(workspace)
            .fetch_one(&mut *tx)
            .await?;
        let take = take_from(
            BucketState {
                tokens,
                last_ms,
                blocked_until_ms,
                now_ms,
            },
            capacity,
            per_ms,
        );
        if take.wait_ms == 0 {
            sqlx::query(
                "UPDATE slack_buckets SET tokens = $1, last_ms = $2
                 WHERE method = $3 AND workspace = $4",
            )
            .bind(take.state.tokens)
            .bind(take.state.last_ms)
            .bind(method)
            .bind(workspace)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(take)
    }

    async fn give_back(
        &self,
        method: &str,
        workspace: &str,
        capacity: f64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE slack_buckets SET tokens = least(tokens + 1, $1)
             WHERE method = $2 AND workspace = $3",
        )
        .bind(capacity)
        .bind(method)
        .bind(workspace)
        .execute(&self.pool)
        .await
        .map(drop)
    }

    async fn block(
        &self,
        method: &str,
        workspace: &str,
        retry_after_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO slack_buckets (method, workspace, tokens, last_ms, blocked_until_ms)
             VALUES ($1, $2, 0, {NOW} + $3, {NOW} + $3)
             ON CONFLICT (method, workspace) DO UPDATE SET tokens = 0,
               last_ms = greatest(slack_buckets.last_ms, excluded.last_ms),
               blocked_until_ms = greatest(slack_buckets.blocked_until_ms, excluded.blocked_until_ms)"
        )))
        .bind(method)
        .bind(workspace)
        .bind(retry_after_ms)
        .execute(&self.pool)
        .await
        .map(drop)
    }

    async fn spend(
        &self,
        who: &str,
        kind: &str,
        units: f64,
        per_minute: f64,
    ) -> Result<i64, sqlx::Error> {
        let per_ms = per_minute / 60_000.0;
        let mut tx = self.pool.begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO slack_budgets (who, kind, units, last_ms) VALUES ($1, $2, $3, {NOW})
             ON CONFLICT DO NOTHING"
        )))
        .bind(who)
        .bind(kind)
        .bind(per_minute)
        .execute(&mut *tx)
        .await?;
        let (left, last_ms, now_ms): (f64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT units, last_ms, {NOW} FROM slack_budgets WHERE who = $1 AND kind = $2 FOR UPDATE"
        )))
        .bind(who)
        .bind(kind)
        .fetch_one(&mut *tx)
        .await?;
        let left = (left + (now_ms - last_ms).max(0) as f64 * per_ms).min(per_minute);
        let wait = if left >= units {
            sqlx::query(
                "UPDATE slack_budgets SET units = $1, last_ms = $2 WHERE who = $3 AND kind = $4",
            )
            .bind(left - units)
            .bind(now_ms)
            .bind(who)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
            0
        } else {
            ((units - left) / per_ms).ceil() as i64
        };
        tx.commit().await?;
        Ok(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(tokens: f64, last_ms: i64, now_ms: i64) -> BucketState {
        BucketState {
            tokens,
            last_ms,
            blocked_until_ms: 0,
            now_ms,
        }
    }

    #[test]
    fn a_bucket_refills_takes_and_says_how_long_to_wait() {
        // Tier 2: 20 a minute, one every 3,000 ms.
        let per_ms = 20.0 / 60_000.0;
        let taken = take_from(state(1.0, 0, 0), 20.0, per_ms);
        assert_eq!(taken.wait_ms, 0);
        assert_eq!(taken.state.tokens, 0.0);
        let empty = take_from(taken.state, 20.0, per_ms);
        assert_eq!(empty.wait_ms, 3_000);
        let later = take_from(state(0.0, 0, 3_000), 20.0, per_ms);
        assert_eq!(later.wait_ms, 0);
        // The refill starts at `last`, which may be ahead of now.
        let ahead = take_from(state(0.0, 1_000, 0), 20.0, per_ms);
        assert_eq!(ahead.wait_ms, 4_000);
        let blocked = take_from(
            BucketState {
                blocked_until_ms: 5_000,
                ..state(20.0, 0, 1_000)
            },
            20.0,
            per_ms,
        );
        assert_eq!(blocked.wait_ms, 4_000);
    }
}
