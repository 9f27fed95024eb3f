//! What Roster keeps of Slack's member analytics, written once for SQLite and PostgreSQL
//! (see [`crate::seats`]).

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::{ActivityRow, ActivityStore, CountRow, Postgres, Sqlite};
use crate::seats::file::DayDigest;

/// Rows a statement inserts at most (8 values each: below SQLite's 32,766 parameters).
const CHUNK: usize = 2_000;

macro_rules! activity_store {
    ($store:ident, $db:ty) => {
        #[async_trait]
        impl ActivityStore for $store {
            async fn days_read(&self) -> Result<Vec<i64>, sqlx::Error> {
                sqlx::query_scalar("SELECT day FROM activity_days ORDER BY day")
                    .fetch_all(&self.pool)
                    .await
            }

            async fn record_day(
                &self,
                day: i64,
                read_at: i64,
                digest: &DayDigest,
            ) -> Result<bool, sqlx::Error> {
                let mut tx = self.pool.begin().await?;
                let fresh = sqlx::query(
                    "INSERT INTO activity_days (day, read_at, rows) VALUES ($1, $2, $3)
                     ON CONFLICT (day) DO NOTHING",
                )
                .bind(day)
                .bind(read_at)
                .bind(digest.people.len() as i64)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !fresh {
                    // Another replica (or an earlier run) recorded it already.
                    return Ok(false);
                }
                let people: Vec<_> = digest.people.iter().collect();
                for chunk in people.chunks(CHUNK) {
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO activity_people
                         (user_id, team_id, first_seen, last_active, clients, seat_day, billable,
                          guest) ",
                    );
                    q.push_values(chunk, |mut b, ((user, team), p)| {
                        b.push_bind(user.as_str())
                            .push_bind(team.as_str())
                            .push_bind(day)
                            .push_bind(p.active.then_some(day))
                            .push_bind(i32::from(p.clients))
                            .push_bind(day)
                            .push_bind(p.billable)
                            .push_bind(p.guest);
                    });
                    // A later active day wins (and its clients); the newest day that lists
                    // them says whether they hold a seat. Days arrive in any order.
                    q.push(
                        " ON CONFLICT (user_id, team_id) DO UPDATE SET
                          first_seen = CASE WHEN excluded.first_seen < activity_people.first_seen
                              THEN excluded.first_seen ELSE activity_people.first_seen END,
                          clients = CASE WHEN excluded.last_active IS NOT NULL
                              AND (activity_people.last_active IS NULL
                                   OR excluded.last_active > activity_people.last_active)
                              THEN excluded.clients ELSE activity_people.clients END,
                          last_active = CASE WHEN excluded.last_active IS NOT NULL
                              AND (activity_people.last_active IS NULL
                                   OR excluded.last_active > activity_people.last_active)
                              THEN excluded.last_active ELSE activity_people.last_active END,
                          billable = CASE WHEN excluded.seat_day > activity_people.seat_day
                              THEN excluded.billable ELSE activity_people.billable END,
                          guest = CASE WHEN excluded.seat_day > activity_people.seat_day
                              THEN excluded.guest ELSE activity_people.guest END,
                          seat_day = CASE WHEN excluded.seat_day > activity_people.seat_day
                              THEN excluded.seat_day ELSE activity_people.seat_day END",
                    );
                    q.build().execute(&mut *tx).await?;
                }
                let counts: Vec<(&str, _)> = std::iter::once(("", digest.org))
                    .chain(digest.workspaces.iter().map(|(t, c)| (t.as_str(), *c)))
                    .collect();
                let mut q = QueryBuilder::<$db>::new(
                    "INSERT INTO activity_counts (day, team_id, active, billable) ",
                );
                q.push_values(counts, |mut b, (team, c)| {
                    b.push_bind(day)
                        .push_bind(team)
                        .push_bind(i64::from(c.active))
                        .push_bind(i64::from(c.billable));
                });
                q.build().execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn people(&self) -> Result<Vec<ActivityRow>, sqlx::Error> {
                sqlx::query_as(
                    "SELECT user_id, team_id, first_seen, last_active, clients, seat_day,
                            billable, guest
                     FROM activity_people",
                )
                .fetch_all(&self.pool)
                .await
            }

            async fn counts(&self) -> Result<Vec<CountRow>, sqlx::Error> {
                sqlx::query_as(
                    "SELECT day, team_id, active, billable FROM activity_counts
                     ORDER BY day, team_id",
                )
                .fetch_all(&self.pool)
                .await
            }
        }
    };
}

activity_store!(Sqlite, sqlx::Sqlite);
activity_store!(Postgres, sqlx::Postgres);
