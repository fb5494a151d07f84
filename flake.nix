{
  description = "Ringlet: a free, decentralized SIP softphone and peer-to-peer messenger";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # Libraries the window loads at run time (dlopen) rather than links.
      runtimeLibs = pkgs: with pkgs; [
        libGL
        libxkbcommon
        wayland
        xorg.libX11
        xorg.libXcursor
        xorg.libXi
        xorg.libXrandr
        vulkan-loader
      ];

      ringlet = pkgs: pkgs.rustPlatform.buildRustPackage {
        pname = "ringlet";
        version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).package.version;
        src = ./.;
        cargoLock.lockFile = ./Cargo.lock;

        nativeBuildInputs = with pkgs; [ pkg-config cmake clang makeWrapper ];
        buildInputs = with pkgs; [
          alsa-lib
          libopus
          spandsp
          speex
          webrtc-audio-processing_0_3
          libv4l
          libjack2
          libpulseaudio
          openssl
          dbus
          fontconfig
        ] ++ runtimeLibs pkgs;
        LIBCLANG_PATH = "${pkgs.libclang.lib}/lib";

        # The test suite starts X servers and real SIP peers; run it with `nix develop`.
        doCheck = false;

        postInstall = ''
          install -Dm644 assets/net.ringlet.Ringlet.desktop $out/share/applications/net.ringlet.Ringlet.desktop
          install -Dm644 assets/net.ringlet.Ringlet.svg $out/share/icons/hicolor/scalable/apps/net.ringlet.Ringlet.svg
        '';
        postFixup = ''
          wrapProgram $out/bin/ringlet \
            --prefix LD_LIBRARY_PATH : ${pkgs.lib.makeLibraryPath (runtimeLibs pkgs)} \
            --prefix PATH : ${pkgs.lib.makeBinPath [ pkgs.fontconfig.bin ]} \
            --set-default FONTCONFIG_FILE ${pkgs.makeFontsConf { fontDirectories = [ pkgs.noto-fonts-cjk-sans pkgs.noto-fonts-monochrome-emoji ]; }}
        '';

        meta = with pkgs.lib; {
          description = "Free, decentralized SIP softphone and peer-to-peer messenger";
          license = licenses.gpl3Plus;
          mainProgram = "ringlet";
          platforms = platforms.linux;
        };
      };
    in
    {
      packages = forAllSystems (pkgs: {
        ringlet = ringlet pkgs;
        default = ringlet pkgs;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${ringlet pkgs}/bin/ringlet";
        };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ (ringlet pkgs) ];
          packages = with pkgs; [
            cargo rustc clippy rustfmt cargo-nextest
            xvfb-run xorg.xorgserver imagemagick
            baresip sipp kamailio sox coturn jack2 pulseaudio alsa-plugins
            noto-fonts-cjk-sans noto-fonts-monochrome-emoji
          ];
          LIBCLANG_PATH = "${pkgs.libclang.lib}/lib";
          LD_LIBRARY_PATH = pkgs.lib.makeLibraryPath (runtimeLibs pkgs);
        };
      });
    };
}
