//! Calls that ended: the sidebar's Recent calls (the stored history, newest first), and a
//! card for each call that just ended saying why, with Call back. The engine's end reasons
//! (`declined`, `rejected-486`, `offline`, …) become the user's words here.

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{AccountId, CallRecord};
use crate::ui::clock::{self, LocalTime};
use crate::ui::state::AppState;
use crate::ui::theme;
use crate::ui::widgets::{self, ListRow};

/// Width kept on a row for its Call back button.
const CALL_BACK_WIDTH: f32 = 88.0;

/// How a call ended, from the user's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was answered and then hung up by either side.
    Ended,
    /// It rang here and nobody answered it.
    Missed,
    /// It did not connect, for the reason given.
    Failed,
}

/// The outcome of a call and the words for its reason.
pub fn describe(reason: &str, outgoing: bool, answered: bool, tr: &I18n) -> (Outcome, String) {
    let key = match reason {
        "hangup" | "replaced" if answered => "end-reason-ended",
        "remote-hangup" if answered || outgoing => "end-reason-remote-hangup",
        "connection-lost" => "end-reason-connection-lost",
        "no-media" => "end-reason-no-media",
        "answered-elsewhere" => "end-reason-answered-elsewhere",
        "replaced" => "end-reason-transferred",
        "declined" | "rejected-603" | "rejected-486" | "rejected-600" if !outgoing => {
            "end-reason-you-declined"
        }
        "declined" | "rejected-603" => "end-reason-declined",
        "rejected-486" | "rejected-600" => "end-reason-busy",
        "rejected-480" | "offline" => "end-reason-offline",
        "rejected-404" | "rejected-604" => "end-reason-not-found",
        "rejected-408" | "timeout" => "end-reason-no-answer",
        "rejected-488" | "rejected-415" => "end-reason-incompatible",
        "unreachable" => "end-reason-unreachable",
        "cancelled" | "hangup" | "remote-hangup" | "rejected-487" if !outgoing => {
            "end-reason-missed"
        }
        "cancelled" | "hangup" | "rejected-487" => "end-reason-cancelled",
        _ => "",
    };
    let text = match (key, reason.strip_prefix("rejected-")) {
        ("", Some(code)) => tr.tr_args("end-reason-refused", &[("code", code.to_owned().into())]),
        ("", None) => reason.to_owned(),
        (key, _) => tr.tr(key),
    };
    let outcome = if answered {
        Outcome::Ended
    } else if key == "end-reason-missed" {
        Outcome::Missed
    } else {
        Outcome::Failed
    };
    (outcome, text)
}

/// A row's second line: direction, then the length or the reason.
fn call_line(record: &CallRecord, tr: &I18n) -> (String, Option<egui::Color32>) {
    let answered = record.duration_ms > 0;
    let (outcome, reason) = describe(&record.end_reason, record.outgoing, answered, tr);
    let arrow = if record.outgoing { "↗" } else { "↙" };
    match outcome {
        Outcome::Ended => (
            format!("{arrow} {}", clock::duration_text(record.duration_ms)),
            None,
        ),
        Outcome::Missed => (format!("{arrow} {reason}"), Some(theme::RED)),
        Outcome::Failed => (format!("{arrow} {reason}"), None),
    }
}

/// The Recent calls list, with Call back on each row whose account still exists; a click
/// elsewhere on a row opens the conversation with that peer.
pub fn list_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.recent_calls.is_empty() {
        ui.weak(tr.tr("recent-none"));
        return commands;
    }
    let now = LocalTime::local(state.ui.now_ms);
    let row_height = theme::LIST_ROW_HEIGHT + ui.spacing().item_spacing.y;
    let mut open = None;
    egui::ScrollArea::vertical()
        .id_salt("recent-calls")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, state.recent_calls.len(), |ui, range| {
            for record in state.recent_calls.get(range).unwrap_or_default() {
                let name = super::contacts::peer_name(state, &record.account_id, &record.peer);
                let (line, colour) = call_line(record, tr);
                let can_call = state.accounts.get(&record.account_id).is_some();
                let row = ListRow {
                    avatar: &name,
                    picture: state.picture(&record.account_id, Some(&record.peer)),
                    title: &name,
                    subtitle: &line,
                    subtitle_colour: colour,
                    corner: &clock::row_time(record.started_at, now),
                    reserved_right: if can_call { CALL_BACK_WIDTH } else { 0.0 },
                    ..ListRow::default()
                };
                let response = widgets::list_row_ui(ui, &row, false).on_hover_text(&record.peer);
                if can_call && call_back_ui(ui, response.rect, tr) {
                    commands.push(call_back(&record.account_id, &record.peer));
                } else if response.clicked() {
                    open = Some((record.account_id.clone(), record.peer.clone()));
                }
            }
        });
    if let Some((account, peer)) = open {
        super::sidebar::open_conversation_with(state, &account, &peer);
    }
    commands
}

/// A Call back button over the right end of `row`; true when clicked.
fn call_back_ui(ui: &mut egui::Ui, row: egui::Rect, tr: &I18n) -> bool {
    let rect = egui::Rect::from_min_size(
        egui::pos2(row.right() - CALL_BACK_WIDTH, row.center().y - 12.0),
        egui::vec2(CALL_BACK_WIDTH - theme::SPACE_S, 24.0),
    );
    ui.put(
        rect,
        widgets::filled_button(tr.tr("call-back"), theme::GREEN),
    )
    .clicked()
}

/// The command that calls `peer` back from `account`.
pub fn call_back(account: &AccountId, peer: &str) -> Command {
    Command::PlaceCall {
        request: RequestId::next(),
        account: account.clone(),
        uri: peer.to_owned(),
    }
}

/// A card per call that just ended: with whom, why, Call back and Dismiss.
pub fn ended_ui(ui: &mut egui::Ui, state: &mut AppState, tr: &I18n) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut dismiss = None;
    for (index, ended) in state.ui.ended_calls.iter().enumerate() {
        let (outcome, reason) = describe(&ended.reason, ended.outgoing, ended.answered, tr);
        let key = match outcome {
            Outcome::Missed => "call-missed-from",
            _ => "call-ended-with",
        };
        egui::Frame::group(ui.style())
            .corner_radius(theme::CORNER)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    widgets::avatar_ui(
                        ui,
                        &ended.peer_name,
                        state.picture(&ended.account, Some(&ended.peer)),
                        theme::AVATAR_ROW,
                    );
                    ui.vertical(|ui| {
                        ui.strong(tr.tr_args(key, &[("peer", ended.peer_name.clone().into())]));
                        // Red for what the user did not want: a missed call, a call of
                        // ours that did not go through.
                        let colour = match outcome {
                            Outcome::Missed => theme::RED,
                            Outcome::Failed if ended.outgoing => theme::RED,
                            _ => ui.visuals().weak_text_color(),
                        };
                        ui.colored_label(colour, &reason);
                    });
                    if state.accounts.get(&ended.account).is_some()
                        && ui
                            .add(widgets::filled_button(tr.tr("call-back"), theme::GREEN))
                            .clicked()
                    {
                        commands.push(call_back(&ended.account, &ended.peer));
                        dismiss = Some(index);
                    }
                    if ui.button(tr.tr("error-dismiss")).clicked() {
                        dismiss = Some(index);
                    }
                });
            });
    }
    if let Some(index) = dismiss {
        state.ui.ended_calls.remove(index);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_end_reason_reads_as_words_and_missed_calls_are_told_apart() {
        let tr = I18n::new("en-US");
        let said = |reason: &str, outgoing: bool, answered: bool| {
            describe(reason, outgoing, answered, &tr)
        };
        assert_eq!(
            said("declined", true, false).1,
            tr.tr("end-reason-declined")
        );
        assert_eq!(
            said("rejected-486", true, false).1,
            tr.tr("end-reason-busy")
        );
        assert_eq!(
            said("rejected-603", false, false).1,
            tr.tr("end-reason-you-declined")
        );
        assert_eq!(said("cancelled", false, false).0, Outcome::Missed);
        assert_eq!(said("cancelled", true, false).0, Outcome::Failed);
        assert_eq!(said("remote-hangup", true, true).0, Outcome::Ended);
        assert_eq!(said("offline", true, false).1, tr.tr("end-reason-offline"));
        // A code without words of its own still says what it is.
        assert!(said("rejected-503", true, false).1.contains("503"));
        for reason in [
            "hangup",
            "remote-hangup",
            "cancelled",
            "declined",
            "answered-elsewhere",
            "timeout",
            "replaced",
            "unreachable",
            "no-media",
            "connection-lost",
            "offline",
        ] {
            for (outgoing, answered) in [(true, false), (false, false), (true, true)] {
                let text = said(reason, outgoing, answered).1;
                assert!(!text.is_empty() && text != reason, "{reason}: {text}");
            }
        }
    }
}
