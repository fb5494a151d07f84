//! A conversation's timeline: its messages, oldest first, each a row (a bubble on our
//! side or theirs, a call record in the middle, a file's card where its message is) under a
//! day separator where the day changes. Only the rows in view are laid out
//! (`virtual_list`), so a conversation of 100,000 messages draws as fast as one of ten; a
//! scroll near the top asks the store for the page before.

use std::collections::BTreeMap;

use crate::engine::{Command, RequestId};
use crate::i18n::I18n;
use crate::model::{ConversationId, TransferInfo, TransferState};
use crate::ui::apply::HISTORY_PAGE;
use crate::ui::clock::{LocalTime, local_offset_ms};
use crate::ui::state::{AppState, ChatMessage};
use crate::ui::{theme, virtual_list};

/// Draws the timeline of conversation `id`; returns the commands of its rows (files
/// accepted, an older page asked for) and what the user chose on a bubble.
pub fn show(
    ui: &mut egui::Ui,
    state: &mut AppState,
    tr: &I18n,
    id: &ConversationId,
) -> (Vec<Command>, Option<(BubbleAction, ChatMessage)>) {
    let mut commands = Vec::new();
    let mut action = None;
    let AppState {
        conversations,
        transfers,
        ui: window,
        ..
    } = state;
    let Some(conversation) = conversations.get_mut(id) else {
        return (commands, action);
    };
    // Each file sits where its message is; one whose message is not held stays above.
    let files: BTreeMap<&str, &TransferInfo> = transfers
        .values()
        .filter(|transfer| {
            crate::model::p2p_conversation_id(&transfer.account, &transfer.conversation) == id.0
        })
        .map(|transfer| (transfer.id.as_str(), transfer))
        .collect();
    if !files.is_empty() {
        // (Only with files: a set of 100,000 commits a frame would cost more than the
        // frame.)
        let held: std::collections::BTreeSet<&str> = conversation
            .messages
            .iter()
            .filter_map(|message| message.commit.as_deref())
            .collect();
        for (_, transfer) in files.iter().filter(|(file, _)| !held.contains(*file)) {
            commands.extend(file_card_ui(ui, tr, transfer, None));
        }
    }
    if conversation.messages.is_empty() {
        ui.add_space(theme::SPACE_L);
        ui.vertical_centered(|ui| ui.weak(tr.tr("chat-empty")));
    }
    let keys = row_keys(&conversation.messages, &files, window.now_ms);
    let today = LocalTime::local(window.now_ms).day;
    let messages = &conversation.messages;
    let scroll = egui::ScrollArea::vertical()
        .id_salt(("chat", &id.0))
        .auto_shrink([false, false])
        .stick_to_bottom(true);
    let heights = window.timelines.entry(id.clone()).or_default();
    virtual_list::show(ui, scroll, heights, keys, |ui, index| {
        let Some(message) = messages.get(index) else {
            return;
        };
        let at = LocalTime::local(message.sent_at_ms);
        let first_of_day = index == 0
            || messages
                .get(index - 1)
                .is_none_or(|before| LocalTime::local(before.sent_at_ms).day != at.day);
        if first_of_day {
            day_separator_ui(ui, tr, at, today);
        }
        let file = message
            .commit
            .as_deref()
            .and_then(|commit| files.get(commit));
        if let Some(transfer) = file {
            let layout = if message.outgoing {
                egui::Layout::right_to_left(egui::Align::Min)
            } else {
                egui::Layout::left_to_right(egui::Align::Min)
            };
            ui.with_layout(layout, |ui| {
                commands.extend(file_card_ui(ui, tr, transfer, Some(at)));
            });
            return;
        }
        if let Some(chosen) = message_ui(ui, tr, message, at) {
            action = Some((chosen, message.clone()));
        }
    });
    // Scrolled up near the top: the page before the oldest message held, once the newest
    // was read.
    let heights_want_earlier = heights.wants_earlier();
    let history = &mut conversation.history;
    let oldest = conversation
        .messages
        .first()
        .map_or(0, |message| message.row);
    if heights_want_earlier
        && history.loaded
        && !history.complete
        && !history.older_pending
        && oldest > 0
    {
        history.older_pending = true;
        commands.push(Command::Messages {
            request: RequestId::next(),
            conversation: id.clone(),
            search: None,
            before: Some(oldest),
            limit: HISTORY_PAGE,
        });
    }
    (commands, action)
}

/// A key per row from what changes its look (not its text, which would cost a frame a
/// hash of every message): when it was sent and by whom, its length and edits, its
/// receipt, whether a day separator is above it, its file's state, its store row.
fn row_keys(
    messages: &[ChatMessage],
    files: &BTreeMap<&str, &TransferInfo>,
    now_ms: i64,
) -> Vec<u64> {
    // One offset for the whole list (what the key needs is only that a day starts).
    let offset = local_offset_ms(now_ms);
    let mut last_day = None;
    messages
        .iter()
        .map(|message| {
            let day = LocalTime::at(message.sent_at_ms, offset).day;
            let first_of_day = last_day != Some(day);
            last_day = Some(day);
            let file = message
                .commit
                .as_deref()
                .and_then(|commit| files.get(commit))
                .map_or(0, |transfer| {
                    1 + transfer.state as u64 * 2 + u64::from(!transfer.path.is_empty())
                });
            let parts = [
                message.sent_at_ms as u64,
                message.text.len() as u64,
                u64::from(message.edits),
                message.receipt.len() as u64,
                u64::from(message.outgoing) | u64::from(first_of_day) << 1,
                file,
                message.row as u64,
            ];
            // FNV-1a over the parts: stable, and cheap for 100,000 rows.
            parts.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, part| {
                (hash ^ part).wrapping_mul(0x0100_0000_01b3)
            })
        })
        .collect()
}

/// What the user chose on a bubble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BubbleAction {
    /// Send again a message that failed.
    Retry,
    /// Edit one of our P2P messages.
    Edit,
    /// Delete one of our P2P messages for everyone.
    Delete,
}

/// A call record in the window's language ("Call, 1:05", "Missed call"), if `text` is one.
pub fn call_record_text(text: &str, tr: &I18n) -> Option<String> {
    Some(match crate::model::CallSummary::parse(text)? {
        crate::model::CallSummary::Answered { seconds } => tr.tr_args(
            "call-record-answered",
            &[(
                "duration",
                crate::ui::clock::duration_text(seconds as i64 * 1000).into(),
            )],
        ),
        crate::model::CallSummary::Missed => tr.tr("call-record-missed"),
        crate::model::CallSummary::Declined => tr.tr("call-record-declined"),
    })
}

/// "Today", "Yesterday" or the date, centred between two days' messages.
pub fn day_separator_ui(ui: &mut egui::Ui, tr: &I18n, at: LocalTime, today: i64) {
    let text = match today - at.day {
        0 => tr.tr("chat-today"),
        1 => tr.tr("chat-yesterday"),
        _ => at.date(),
    };
    ui.add_space(theme::SPACE_S);
    ui.vertical_centered(|ui| ui.weak(egui::RichText::new(text).small()));
}

/// One file: name, size, state and a progress bar; Accept and Decline while offered to us.
pub fn file_card_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    transfer: &TransferInfo,
    at: Option<LocalTime>,
) -> Vec<Command> {
    let mut commands = Vec::new();
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(8, 4))
        .show(ui, |ui| {
            // A card of its own width, its rows stacked, on either side of the timeline.
            ui.set_max_width(FILE_CARD_WIDTH);
            ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                ui.horizontal(|ui| {
                    ui.strong(&transfer.name);
                    ui.weak(crate::model::human_size(transfer.size));
                    ui.label(tr.tr(&format!("file-state-{}", transfer.state.as_str())));
                });
                let fraction = if transfer.size == 0 {
                    1.0
                } else {
                    transfer.bytes_done as f32 / transfer.size as f32
                };
                let mut text = format!("{:.0} %", fraction * 100.0);
                if transfer.resumed_from > 0 && transfer.size > 0 {
                    let percent = (transfer.resumed_from * 100 / transfer.size) as i64;
                    text.push_str(&format!(
                        " · {}",
                        tr.tr_args("file-resumed", &[("percent", percent.into())])
                    ));
                }
                // A whole file needs no bar.
                if transfer.state != TransferState::Done {
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .text(text)
                            .desired_width(FILE_CARD_WIDTH),
                    );
                }
                if let Some(error) = &transfer.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                // A whole file opens in its application, or shows in its folder; a picture
                // shows a thumbnail.
                if transfer.state == TransferState::Done && !transfer.path.is_empty() {
                    let path = std::path::Path::new(&transfer.path);
                    if is_picture(path) {
                        let alt =
                            tr.tr_args("file-picture", &[("name", transfer.name.clone().into())]);
                        ui.add(
                            egui::Image::new(file_url(path))
                                .max_width(THUMBNAIL.x)
                                .max_height(THUMBNAIL.y)
                                .corner_radius(4.0)
                                .alt_text(alt),
                        )
                        .on_hover_text(&transfer.name);
                    }
                    ui.horizontal(|ui| {
                        // Named with the file, so that a screen reader tells the cards apart.
                        let open = format!("{} {}", tr.tr("file-open"), transfer.name);
                        if ui
                            .button(tr.tr("file-open"))
                            .accessible_name(open)
                            .clicked()
                        {
                            ui.ctx().open_url(egui::OpenUrl::new_tab(file_url(path)));
                        }
                        let show = format!("{} {}", tr.tr("file-show-folder"), transfer.name);
                        if let Some(folder) = path.parent()
                            && ui
                                .button(tr.tr("file-show-folder"))
                                .accessible_name(show)
                                .clicked()
                        {
                            ui.ctx().open_url(egui::OpenUrl::new_tab(file_url(folder)));
                        }
                    });
                }
                if !transfer.outgoing && transfer.state == TransferState::Offered {
                    ui.horizontal(|ui| {
                        for (label, accept) in [("file-accept", true), ("file-decline", false)] {
                            if ui.button(tr.tr(label)).clicked() {
                                commands.push(Command::AnswerFile {
                                    request: RequestId::next(),
                                    account: transfer.account.clone(),
                                    file: transfer.id.clone(),
                                    accept,
                                });
                            }
                        }
                    });
                }
                if let Some(at) = at {
                    ui.small(at.clock());
                }
            });
        });
    commands
}

/// Width of a file card.
const FILE_CARD_WIDTH: f32 = 340.0;

/// The largest a picture's thumbnail is drawn in its file card.
const THUMBNAIL: egui::Vec2 = egui::vec2(240.0, 180.0);

/// Whether a file is a picture the window can show (by its extension).
pub(super) fn is_picture(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            ["png", "jpg", "jpeg"].contains(&extension.to_ascii_lowercase().as_str())
        })
}

/// A `file://` URL for a local path, its bytes percent-encoded where URLs need it.
fn file_url(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut url = String::from("file://");
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// One message: a call record centred, else a bubble on our side or theirs with its time
/// and receipt; what the user chose on it (Retry, or Edit and Delete from its menu).
fn message_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    message: &ChatMessage,
    at: LocalTime,
) -> Option<BubbleAction> {
    if let Some(record) = call_record_text(&message.text, tr) {
        let text = format!("☎ {record} · {}", at.clock());
        let width = text_width(ui, &text, egui::TextStyle::Body, ui.available_width());
        ui.vertical_centered(|ui| {
            egui::Frame::new()
                .fill(ui.visuals().faint_bg_color)
                .corner_radius(theme::CORNER)
                .inner_margin(egui::Margin::symmetric(10, 4))
                .show(ui, |ui| {
                    ui.set_width(width);
                    ui.label(text);
                });
        });
        return None;
    }
    bubble_ui(ui, tr, message, Some(at))
}

/// A bubble on our side or theirs, links clickable, its time and receipt under the text;
/// a message that could not be sent says so in red, with Retry. One of our P2P messages
/// has a menu (right click): Edit, Delete.
pub fn bubble_ui(
    ui: &mut egui::Ui,
    tr: &I18n,
    message: &ChatMessage,
    at: Option<LocalTime>,
) -> Option<BubbleAction> {
    let failed = message.receipt == "failed";
    let mut chosen = None;
    let layout = if message.outgoing {
        egui::Layout::right_to_left(egui::Align::Min)
    } else {
        egui::Layout::left_to_right(egui::Align::Min)
    };
    let max_width = ui.available_width() * theme::BUBBLE_MAX_SHARE;
    let mut footer = at.map(|at| at.clock()).unwrap_or_default();
    if !message.receipt.is_empty() {
        let receipt = tr.tr(&format!("chat-receipt-{}", message.receipt));
        footer = format!("{footer} · {receipt}");
    }
    // The bubble is as wide as its longest line, no wider.
    let body = match message.text.as_str() {
        "" => tr.tr("chat-deleted"),
        text => text.to_owned(),
    };
    let width = text_width(ui, &body, egui::TextStyle::Body, max_width).max(text_width(
        ui,
        &footer,
        egui::TextStyle::Small,
        max_width,
    ));
    ui.with_layout(layout, |ui| {
        let (fill, text_colour) = if failed {
            (theme::RED, Some(theme::ON_COLOUR))
        } else if message.outgoing {
            (theme::ACCENT, Some(theme::ON_COLOUR))
        } else {
            (ui.visuals().faint_bg_color, None)
        };
        let bubble = egui::Frame::new()
            .fill(fill)
            .corner_radius(theme::CORNER)
            .inner_margin(egui::Margin::symmetric(10, 5))
            .show(ui, |ui| {
                ui.set_width(width);
                ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                    if let Some(colour) = text_colour {
                        ui.visuals_mut().override_text_color = Some(colour);
                    }
                    if message.text.is_empty() {
                        // Deleted for everyone.
                        ui.weak(tr.tr("chat-deleted"));
                    } else {
                        crate::ui::links::text_with_links_ui(ui, &message.text);
                    }
                    if failed {
                        ui.horizontal(|ui| {
                            ui.visuals_mut().override_text_color = None;
                            ui.label(
                                egui::RichText::new(&footer)
                                    .small()
                                    .color(theme::ON_COLOUR)
                                    .strong(),
                            );
                            if ui.small_button(tr.tr("chat-retry")).clicked() {
                                chosen = Some(BubbleAction::Retry);
                            }
                        });
                    } else if !footer.is_empty() {
                        ui.label(egui::RichText::new(footer).small().weak());
                    }
                });
            });
        let ours = message.outgoing && message.commit.is_some() && !message.text.is_empty();
        if ours {
            bubble
                .response
                .interact(egui::Sense::click())
                .on_hover_text(tr.tr("chat-menu-hint"))
                .context_menu(|ui| {
                    for (key, action) in [
                        ("chat-edit", BubbleAction::Edit),
                        ("chat-delete", BubbleAction::Delete),
                    ] {
                        if ui.button(tr.tr(key)).clicked() {
                            chosen = Some(action);
                            ui.close();
                        }
                    }
                });
        }
    });
    chosen
}

/// Width `text` takes in `style`, wrapped at `max_width`.
fn text_width(ui: &egui::Ui, text: &str, style: egui::TextStyle, max_width: f32) -> f32 {
    let font = style.resolve(ui.style());
    let galley = ui
        .painter()
        .layout(text.to_owned(), font, egui::Color32::WHITE, max_width);
    galley.size().x.ceil() + 1.0
}
