//! The CPU side of one window frame (layout of every view and tessellation, not the GL
//! upload) with a big history: 10,000 conversations in the sidebar and the selected one
//! holding N messages. `draw_ui` is what the real window runs each frame. A conversation
//! opens with the newest 200 from the store and reads older pages as the user scrolls up,
//! up to `apply::MESSAGES_KEPT` (100,000): both ends are measured. The timeline lays out
//! only the rows in view.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ringlet::i18n::I18n;
use ringlet::model::{AccountDetails, AccountId, AccountInfo, ConversationId, RegistrationState};
use ringlet::ui::state::{ChatMessage, Conversation, Selection};
use ringlet::ui::{AppState, apply};

const CONVERSATIONS: usize = 10_000;
const DAY_MS: i64 = 86_400_000;

fn state_with(messages: usize) -> AppState {
    let mut state = AppState::default();
    let account = AccountId("0123456789abcdef0123456789abcdef01234567".into());
    apply(
        &mut state,
        ringlet::engine::Event::AccountAdded {
            request: None,
            account: AccountInfo {
                id: account.clone(),
                name: "Me".into(),
                enabled: true,
                created_at: 0,
                registration: RegistrationState::Registered,
                details: AccountDetails::P2p {
                    devices: Vec::new(),
                    auto_answer: false,
                    stun: Vec::new(),
                },
            },
        },
    );
    state.engine_running = true;
    let now = 1_790_000_000_000_i64;
    state.ui.now_ms = now;
    for index in 0..CONVERSATIONS {
        let id = ConversationId(format!("{index:064x}"));
        let peer = format!("{index:040x}");
        state.conversations.insert(
            id,
            Conversation {
                account: account.clone(),
                title: format!("Contact {index}"),
                last_message: Some(format!("message number {index} about the project")),
                peer: Some(peer),
                last_activity_ms: now - (index as i64) * 60_000,
                unread: (index % 7) as u32,
                messages: Vec::new(),
                typing: Default::default(),
                history: Default::default(),
            },
        );
    }
    let selected = ConversationId(format!("{:064x}", 0));
    if let Some(conversation) = state.conversations.get_mut(&selected) {
        conversation.unread = 0;
        conversation.messages = (0..messages)
            .map(|index| ChatMessage {
                text: format!("message {index}: a line of ordinary length, as people write"),
                outgoing: index % 3 == 0,
                sent_at_ms: now - ((messages - index) as i64) * DAY_MS / 200,
                commit: Some(format!("{index:064x}")),
                receipt: "read".into(),
                row: index as i64 + 1,
                edits: 0,
            })
            .collect();
    }
    state.ui.selection = Selection::Conversation(selected);
    state
}

fn frames(c: &mut Criterion) {
    let tr = I18n::new("en-US");
    let mut group = c.benchmark_group("window_frame");
    group.sample_size(20);
    for messages in [200usize, ringlet::ui::apply::MESSAGES_KEPT] {
        let mut state = state_with(messages);
        let ctx = egui::Context::default();
        let input = || egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1024.0, 700.0),
            )),
            ..Default::default()
        };
        // The first frames lay out fonts and settle the scroll areas.
        for _ in 0..3 {
            let mut output = ctx.run_ui(input(), |ui| {
                let _ = ringlet::ui::app::draw_ui(ui, &mut state, &tr);
            });
            // No renderer takes the font atlas here (egui checks that in debug builds).
            output.textures_delta.clear();
        }
        group.bench_function(BenchmarkId::new("10k_conversations", messages), |b| {
            b.iter(|| {
                let mut output = ctx.run_ui(input(), |ui| {
                    let _ = ringlet::ui::app::draw_ui(ui, &mut state, &tr);
                });
                output.textures_delta.clear();
                ctx.tessellate(output.shapes, output.pixels_per_point)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, frames);
criterion_main!(benches);
