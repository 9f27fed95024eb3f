//! Bulk jobs: create (or dry-run), follow, pause, resume, cancel, retry.

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::stream::{self, Stream};
use roster_api::{
    DryRun, ErrorBody, JobCreateQuery, JobDetail, JobEvent, JobList, JobRequest, JobState,
    JobSummary, OpState,
};

use crate::{
    AppState,
    error::AppError,
    jobs::{JobRow, POLL, ends, no_such_job, shown, shown_summary},
    middleware::request_id,
    policy::{Caller, Denied, Permission},
    routes::csv_file::CsvFile,
};

/// A job ID from the path; anything else names no job.
fn job_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| no_such_job())
}

/// Whether `caller` may read everyone's jobs: `audit.read_all` on a role that covers every
/// workspace. A job may act anywhere in the org, so a role limited to some workspaces
/// reads its own jobs only.
pub(crate) fn reads_all_jobs(caller: &Caller) -> bool {
    caller.can(Permission::AuditReadAll) && caller.covers_all()
}

/// The creator sees their jobs; see [`reads_all_jobs`] for everyone's.
fn visible(caller: &Caller, job: &JobRow) -> bool {
    job.creator.email.eq_ignore_ascii_case(&caller.email) || reads_all_jobs(caller)
}

/// Jobs are changes to people: reading them needs `users.read` or `audit.read`.
fn may_read_jobs(caller: &Caller) -> Result<(), AppError> {
    if caller.can(Permission::UsersRead) || caller.can(Permission::AuditRead) {
        Ok(())
    } else {
        Err(Denied::Permission(Permission::UsersRead).into())
    }
}

async fn find(state: &AppState, caller: &Caller, id: i64) -> Result<JobRow, AppError> {
    may_read_jobs(caller)?;
    state
        .jobs
        .store()
        .job(id)
        .await?
        .filter(|j| visible(caller, j))
        .ok_or_else(no_such_job)
}

/// Only the creator steers a job, while their role may still change something.
async fn own(state: &AppState, caller: &Caller, id: i64) -> Result<JobRow, AppError> {
    let job = find(state, caller, id).await?;
    if !Permission::WRITES.iter().any(|p| caller.can(*p)) {
        return Err(Denied::ReadOnlyRole.into());
    }
    if job.creator.email.eq_ignore_ascii_case(&caller.email) {
        Ok(job)
    } else {
        Err(AppError::ForbiddenJob(format!(
            "Only {} can pause, resume, cancel or retry this job.",
            job.creator.email
        )))
    }
}

/// Checks every operation (`dry_run=true`: and stops there), or creates the job and starts
/// it. Operations that fail their checks are kept as skipped, with the reason; an operation
/// the role may not do at all refuses the whole job.
#[utoipa::path(post, path = "/jobs", tag = "jobs", params(JobCreateQuery), request_body = JobRequest,
    responses((status = 200, body = DryRun, description = "The dry run: what each operation would do"),
        (status = 201, body = JobDetail, description = "The job, started"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<JobCreateQuery>, QueryRejection>,
    body: Result<Json<JobRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(super::bad_query)?;
    let Json(body) = body.map_err(super::bad_json)?;
    if query.dry_run {
        let report = state
            .jobs
            .dry_run(&state, &caller, &request_id(&headers), &body)
            .await?;
        return Ok(Json(report).into_response());
    }
    let detail = state
        .jobs
        .create(&state.core, &caller, &request_id(&headers), body)
        .await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

/// The caller's jobs (everyone's with `audit.read_all`), newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", responses((status = 200, body = JobList)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<JobList>, AppError> {
    may_read_jobs(&caller)?;
    let only = (!reads_all_jobs(&caller)).then_some(caller.email.as_str());
    let mut jobs = Vec::new();
    for job in state.jobs.store().jobs(only, 100).await? {
        let mut summary = state.jobs.store().summary(&job).await?;
        shown_summary(&caller, &job, &mut summary);
        jobs.push(summary);
    }
    Ok(Json(JobList { jobs }))
}

/// A job and every operation in it.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = JobDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobDetail>, AppError> {
    let id = job_id(&id)?;
    find(&state, &caller, id).await?;
    let detail = state
        .jobs
        .detail_for(&state, &caller, id)
        .await?
        .ok_or_else(no_such_job)?;
    Ok(Json(detail))
}

/// One event of `job` as `caller` reads it.
fn event(state: &AppState, caller: &Caller, job: &JobRow, e: &JobEvent) -> Event {
    let (name, data) = match e {
        JobEvent::Progress(s) => {
            let mut s = s.clone();
            shown_summary(caller, job, &mut s);
            ("progress", serde_json::to_string(&s))
        }
        JobEvent::Operation(o) => {
            let mut o = o.clone();
            shown(state, caller, job, &mut o);
            ("operation", serde_json::to_string(&o))
        }
    };
    Event::default()
        .event(name)
        .data(data.unwrap_or_else(|_| "{}".into()))
}

/// Where a follower starts: after the event it saw last (`Last-Event-ID`, as browsers send
/// when they reconnect), or now.
fn resume_from(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .filter(|id: &i64| *id >= 0)
}

/// Progress as Server-Sent Events, from any replica: `progress` (a job summary) after every
/// change and `operation` (one operation) when an operation changes state, each with its
/// event ID. A follower that reconnects with `Last-Event-ID` is sent everything that
/// changed since; a new follower starts with the job's summary. The stream ends with the
/// job.
#[utoipa::path(get, path = "/jobs/{id}/events", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
        (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let id = job_id(&id)?;
    let job = find(&state, &caller, id).await?;
    // Woken before the first read, so no change falls in between.
    let wake = state.jobs.wake_on(id);
    let (cursor, first) = match resume_from(&headers) {
        Some(after) => (after, Vec::new()),
        None => {
            let last = state.jobs.last_event(id).await?;
            let summary = state.jobs.summary(id).await?.ok_or_else(no_such_job)?;
            (last, vec![(last, JobEvent::Progress(summary))])
        }
    };
    struct Follow {
        cursor: i64,
        queued: std::collections::VecDeque<(i64, JobEvent)>,
        wake: tokio::sync::broadcast::Receiver<()>,
        ended: bool,
    }
    let start = Follow {
        cursor,
        queued: first.into(),
        wake,
        ended: false,
    };
    let stream = stream::unfold(start, move |mut follow| {
        let (state, caller, job) = (state.clone(), caller.clone(), job.clone());
        async move {
            loop {
                if let Some((event_id, e)) = follow.queued.pop_front() {
                    follow.ended |= ends(&e);
                    let sse = event(&state, &caller, &job, &e).id(event_id.to_string());
                    return Some((Ok(sse), follow));
                }
                if follow.ended {
                    return None;
                }
                match state.jobs.events_after(id, follow.cursor).await {
                    Ok(batch) if !batch.is_empty() => {
                        follow.cursor = batch.last().map_or(follow.cursor, |(i, _)| *i);
                        follow.queued.extend(batch);
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!(job = id, error = %e, "cannot read job events"),
                }
                // Nothing new: wait to be woken here, or look again shortly (the job may
                // run on another replica).
                let _ = tokio::time::timeout(POLL, follow.wake.recv()).await;
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Pause, resume or cancel, by the job's creator.
async fn steer(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    to: JobState,
) -> Result<Json<JobSummary>, AppError> {
    let id = job_id(raw_id)?;
    own(state, caller, id).await?;
    Ok(Json(state.jobs.control(&state.core, id, to).await?))
}

/// Stops after the operations under way; nothing new starts until resumed.
#[utoipa::path(post, path = "/jobs/{id}/pause", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = JobSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobSummary>, AppError> {
    steer(&state, &caller, &id, JobState::Paused).await
}

/// Goes on with a paused job.
#[utoipa::path(post, path = "/jobs/{id}/resume", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = JobSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobSummary>, AppError> {
    steer(&state, &caller, &id, JobState::Running).await
}

/// Skips every operation that has not run yet.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = JobSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobSummary>, AppError> {
    steer(&state, &caller, &id, JobState::Cancelled).await
}

/// Runs the failed operations again (unknown outcomes are checked with Slack first).
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, body = JobSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobSummary>, AppError> {
    let id = job_id(&id)?;
    own(&state, &caller, id).await?;
    Ok(Json(state.jobs.retry(&state.core, id).await?))
}

/// The operations that did not end done (failed, skipped, unknown), as CSV.
#[utoipa::path(get, path = "/jobs/{id}/errors.csv", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 404, body = ErrorBody)))]
pub async fn errors_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<CsvFile, AppError> {
    let id = job_id(&id)?;
    let job = find(&state, &caller, id).await?;
    let mut file = CsvFile::new(
        format!("roster-job-{id}-errors.csv"),
        &[
            "row",
            "action",
            "target",
            "workspace",
            "state",
            "message",
            "slack_error",
        ],
    )?;
    for op in state.jobs.store().operations(id).await? {
        if matches!(
            op.state,
            OpState::Done | OpState::Pending | OpState::Running
        ) {
            continue;
        }
        let mut op = op.to_api();
        shown(&state, &caller, &job, &mut op);
        file.row([
            (op.index + 1).to_string(),
            op.operation.label().to_string(),
            op.operation.target().to_string(),
            op.operation.workspace().unwrap_or_default().to_string(),
            op.state.label().to_string(),
            op.message.clone().unwrap_or_default(),
            op.slack_error.clone().unwrap_or_default(),
        ])?;
    }
    Ok(file)
}
