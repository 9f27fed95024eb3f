//! Search a workspace's channels and pick some (or exactly one).

use std::time::Duration;

use leptos::prelude::*;
use roster_api::Channel;

use crate::api;

/// A searchable channel picker over `GET /api/workspaces/{id}/channels`.
#[component]
pub fn ChannelPicker(
    /// Team ID whose channels are offered.
    #[prop(into)]
    workspace: Signal<String>,
    selected: RwSignal<Vec<Channel>>,
    /// At most one channel (single-channel guests).
    #[prop(into)]
    single: Signal<bool>,
    /// `id` of the search input, for its label.
    input_id: &'static str,
    /// Describes the field's error, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    // What is typed, and what was searched for once the typing paused.
    let query = RwSignal::new(String::new());
    let searched = RwSignal::new(String::new());
    let results = LocalResource::new(move || {
        let asked = (workspace.get(), searched.get());
        async move {
            let answer = if asked.0.is_empty() {
                Ok(Vec::new())
            } else {
                api::channels(&asked.0, &asked.1).await
            };
            (asked, answer)
        }
    });
    let loading = move || {
        results.with(|r| {
            r.as_ref().is_none_or(|(asked, _)| {
                workspace.with(|w| *w != asked.0) || searched.with(|s| *s != asked.1)
            })
        })
    };
    let found = move || {
        results.with(|r| {
            r.as_ref()
                .and_then(|(_, answer)| answer.as_ref().ok().cloned())
                .unwrap_or_default()
        })
    };
    let failure = move || {
        results.with(|r| {
            r.as_ref()
                .and_then(|(_, answer)| answer.as_ref().err().map(ToString::to_string))
        })
    };
    // A new workspace: its channels, and none picked yet.
    Effect::new(move |previous: Option<String>| {
        let ws = workspace.get();
        if previous.is_some_and(|p| p != ws) {
            selected.set(Vec::new());
        }
        query.set(String::new());
        if !searched.get_untracked().is_empty() {
            searched.set(String::new());
        }
        ws
    });
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let on_input = move |value: String| {
        query.set(value);
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let search = move || {
            if let Some(typed) = query.try_get_untracked() {
                searched.try_set(typed);
            }
        };
        pending.set_value(set_timeout_with_handle(search, Duration::from_millis(250)).ok());
    };
    let add = move |c: Channel| {
        selected.update(|s| {
            if single.get_untracked() {
                s.clear();
            }
            if !s.iter().any(|x| x.id == c.id) {
                s.push(c);
            }
        })
    };
    let remove = move |id: String| selected.update(|s| s.retain(|c| c.id != id));
    let error_id = format!("{input_id}-error");

    view! {
        <div class="channel-picker">
            <ul class="chips" aria-label="Chosen channels">
                <For each=move || selected.get() key=|c| c.id.clone() let:c>
                    <li class="chip">
                        {if c.is_private { "" } else { "#" }}{c.name.clone()}{c.is_private.then(|| view! { <span class="private-mark">" (private)"</span> })}
                        <button type="button" class="chip-remove" aria-label=format!("Remove {}", c.name)
                            on:click={let id = c.id.clone(); move |_| remove(id.clone())}>"×"</button>
                    </li>
                </For>
            </ul>
            <input id=input_id type="search" autocomplete="off" placeholder="Search channels"
                aria-describedby=error_id.clone()
                aria-invalid=move || error.get().is_some().to_string()
                prop:value=move || query.get()
                on:input:target=move |ev| on_input(ev.target().value())/>
            <Show when=move || error.get().is_some()>
                <p class="field-error" id=error_id.clone()>{move || error.get()}</p>
            </Show>
            {move || failure().map(|f| view! { <p class="field-error">{f}</p> })}
            <ul class="picker-results" aria-busy=move || loading().to_string()>
                <For each=found key=|c| c.id.clone() let:c>
                    <li>
                        <button type="button" class="picker-option"
                            aria-pressed={let id = c.id.clone(); move || selected.with(|s| s.iter().any(|x| x.id == id)).to_string()}
                            on:click={let c = c.clone(); move |_| add(c.clone())}>
                            <span>{if c.is_private { "" } else { "#" }}{c.name.clone()}{c.is_private.then(|| view! { <span class="private-mark">" (private)"</span> })}</span>
                            {c.member_count.map(|n| view! { <span class="muted">{format!("{n} members")}</span> })}
                        </button>
                    </li>
                </For>
            </ul>
            <Show when=move || !loading() && failure().is_none() && found().is_empty() && !workspace.get().is_empty()>
                <p class="muted">"No channels match."</p>
            </Show>
        </div>
    }
}
