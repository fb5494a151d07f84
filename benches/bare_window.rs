//! The floor for the window's memory and start-up figures: a bare eframe glow window built
//! with the same dependencies and profile as Ringlet, measured the same way by
//! `benches/window_figures.sh`. It opens only with `RINGLET_BARE_WINDOW=1`, so `cargo bench`
//! and `cargo test --all-targets` pass over it.

fn main() -> eframe::Result {
    if std::env::var_os("RINGLET_BARE_WINDOW").is_none() {
        return Ok(());
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("bare")
            .with_inner_size([960.0, 640.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_ui_native("bare", options, |ui, _frame| {
        ringlet::ui::app::report_first_frame();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("bare eframe window");
        });
    })
}
