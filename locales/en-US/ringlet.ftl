# Ringlet, English (United States). This file is the reference: every other
# locale must carry every message defined here.

app-name = Ringlet
app-tagline = A free, decentralized softphone and messenger

## Sidebar
sidebar-accounts = Accounts
sidebar-contacts = Contacts
sidebar-conversations = Conversations
sidebar-search-hint = Search contacts and messages
sidebar-no-accounts = No account yet.
sidebar-no-contacts = No contacts yet.
contact-call = Call
sidebar-no-conversations = No conversations yet.
sidebar-add-account = Add account
sidebar-settings = Settings
sidebar-about = About
sidebar-no-match = Nothing matches “{ $query }”.

## Accounts
account-kind-sip = SIP
account-kind-p2p = Peer-to-peer
account-disabled = disabled
account-auto-answer = Auto-answer
registration-offline = Offline
registration-trying = Connecting…
registration-registered = Online
registration-failed = Failed: { $reason }
account-id = Account ID
account-name = Name
account-rename = Rename
account-enabled = Enabled
account-delete = Delete account
account-delete-confirm = Delete “{ $name }” and all its data? This cannot be undone.
account-delete-yes = Delete
account-export = Export archive
account-export-path = Save the archive as
account-export-passphrase = Passphrase for the archive
account-export-done = Archive saved to { $path }
account-devices = Devices
account-this-device = this device
account-sip-address = SIP address
account-registrar = Registrar
account-none = none

## Account wizard
wizard-title = Add an account
wizard-choose = What kind of account do you want?
wizard-create-p2p = Create a peer-to-peer account
wizard-create-p2p-help = An identity that needs no server: a key pair kept on this device.
wizard-import = Import an account archive
wizard-import-help = Add this device to an account you already have, using an archive exported on another device.
wizard-add-sip = Add a SIP account
wizard-add-sip-help = Use an account of a SIP provider or a PBX such as Asterisk or Kamailio.
wizard-display-name = Display name
wizard-device-name = Device name
wizard-archive-file = Archive file
wizard-passphrase = Passphrase
wizard-sip-aor = SIP address
wizard-sip-registrar = Registrar (optional)
wizard-sip-username = User name (optional)
wizard-sip-password = Password
wizard-sip-transport = Transport
sip-settings = SIP settings
sip-new-password = New password
sip-password-unchanged = unchanged
sip-listen = Listen address
sip-listen-hint = IP:PORT, e.g. 0.0.0.0:5060 for direct calls
sip-listen-invalid = The listen address must be IP:PORT, e.g. 0.0.0.0:5060.
sip-expires-invalid = The registration interval must be a number of seconds.
sip-codecs-none = Tick at least one codec.
sip-advanced = Advanced settings
sip-outbound-proxy = Outbound proxy
sip-stun = STUN server
sip-srtp = Encryption (SRTP)
sip-srtp-off = Off
sip-srtp-optional = When the peer can
sip-srtp-mandatory = Always (refuse plain calls)
sip-codecs = Codecs, in order
sip-codec-up = Move up
sip-codec-down = Move down
sip-dtmf = DTMF
sip-dtmf-inband = In the audio
sip-expires = Registration interval (s)
sip-voicemail = Watch voicemail
sip-auto-answer = Answer calls at once
sip-tls-ca = Extra CA certificates (PEM)
sip-save = Save
sip-revert = Revert
sip-saved = Saved; the account registers again.
wizard-create = Create account
wizard-import-button = Import
wizard-add = Add account
wizard-back = Back
wizard-cancel = Cancel
wizard-name-required = Enter a name.
wizard-path-required = Enter the path of the archive file.
wizard-aor-invalid = Enter an address such as sip:alice@example.org.
wizard-busy = Working…

## Settings
settings-title = Settings
settings-language = Language
settings-theme = Theme
settings-theme-dark = Dark
settings-theme-light = Light
settings-audio = Audio
settings-audio-input = Microphone
settings-audio-output = Speaker
settings-audio-default = System default
settings-input-level = Input level
settings-refresh-devices = Refresh devices
settings-no-devices = No audio devices found.
settings-ringtone = Ringtone
settings-ringtone-default = Built-in ringtone
settings-ringtone-path = Ringtone file
settings-apply = Apply
settings-close = Close

## About
about-title = About Ringlet
about-version = Version { $version }
about-license = Free software under the GNU General Public License, version 3 or later.
about-data-dir = Data folder: { $path }
about-close = Close

## Main area
welcome-title = Welcome to Ringlet
welcome-body = Create a peer-to-peer account to talk with no server at all, or add a SIP account to call any phone.
error-title = Something went wrong
error-dismiss = Dismiss

## Calls
calls-title = Calls
call-answer = Answer
call-reject = Decline
call-hangup = Hang up
call-state-incoming = Incoming call
call-state-outgoing = Calling…
call-state-active = In call
call-state-held = On hold
dial-hint = sip:name@host
dial-button = Call

# Calls in progress, incoming calls and chat
call-hold = Hold
call-resume = Resume
call-held-remotely = On hold by the other side
call-keypad = Keypad
call-transfer = Transfer
call-transfer-hint = sip:someone@example.org
call-transfer-to-call = Connect with { $peer }
call-transfer-progress = Transfer: { $code }
call-dtmf-received = Digits received: { $digits }
call-dtmf-sent = Digits sent: { $digits }
call-show = Show call
call-path = End-to-end encrypted · { $path }
incoming-call-title = Incoming call
incoming-call-from = { $peer } is calling
chat-send = Send
chat-hint = Write a message
chat-empty = No messages yet.
dial-message = Message
voicemail-count = { $new } new and { $old } old voice messages

# Call audio
call-volume = Volume
call-mute = Mute
call-unmute = Unmute
call-record = Record
call-record-stop = Stop recording
call-recording = Recording
call-play-file = Play a file
call-play-path = Audio file (FLAC, Ogg, MP3, WAV)
call-play = Play
call-play-stop = Stop the file
call-merge = Merge calls
call-in-conference = In conference
call-statistics = Statistics
call-srtp-on = SRTP
call-srtp-off = unencrypted
call-figures = loss { $loss } % · jitter { $jitter } ms · RTT { $rtt } ms · ↑{ $up } ↓{ $down } kbit/s
call-level-sent = Sent
call-level-heard = Heard
call-plot-loss = loss %
call-plot-jitter = jitter ms
call-plot-rtt = RTT ms
settings-echo-cancellation = Echo cancellation
settings-noise-suppression = Noise suppression
settings-gain-control = Automatic gain control
sidebar-requests = Contact requests
request-accept = Accept
request-decline = Decline
request-block = Block
contact-requested = request sent
contact-blocked = blocked

# Files in P2P conversations
file-send = Send file
file-accept = Accept
file-decline = Decline
file-state-offered = Offered
file-state-accepted = Receiving
file-state-done = Done
file-state-declined = Declined
file-state-failed = Failed
file-files = Files
file-resumed = resumed at { $percent } %
chat-typing = { $who } is typing…
settings-open-urls = Open links received in chat
settings-do-not-disturb = 🔕 Do not disturb
account-revoke = Revoke
account-revoke-yes = Revoke for good
account-share = Share
account-share-hint = Scan to add this account as a contact.
chat-receipt-delivered = delivered
chat-receipt-read = read
chat-search-hint = Search this conversation
chat-searching = Searching…
chat-search-none = Nothing found.
chat-search-found = { $count ->
    [one] One message found
   *[other] { $count } messages found
}
chat-deleted = (deleted)
account-device-rename-hint = New name of this device
account-device-rename = Rename device
account-link = New device
account-link-button = Link a new device with a PIN
account-link-pin-hint = On the new device choose “Join with a PIN” and type this PIN. It works for 10 minutes.
account-stun = STUN servers
account-stun-hint = stun.example.org:3478, …
account-stun-help = Asked by calls for this device's public address, besides the bootstrap nodes.
account-stun-wrong = { $server } is not a server address (HOST:PORT or HOST).
account-picture = Picture
account-picture-choose = Choose…
account-picture-remove = Remove
account-picture-use = Use this picture
wizard-link = Join with a PIN
wizard-link-help = Add this device to an account you already have: on a device of that account, ask for a PIN, then type it here.
wizard-pin = PIN
wizard-pin-required = Type the PIN shown on your other device.
wizard-link-button = Join
wizard-link-looking = Looking for the account offered under this PIN…
groups-you = you
groups-title = Groups
groups-none = No groups yet.
groups-invited = invited
groups-join = Join
groups-leave = Leave
groups-admin = admin
groups-not-joined = not joined yet
groups-remove = Remove
groups-choose = Choose a contact
groups-add = Add
groups-new-title = Title of a new group
groups-create = Create group
groups-no-contacts = Contacts you confirmed can be put in a group.

# The conversation-centred window (session 10)
sidebar-calls = Calls
sidebar-typing = typing…
sidebar-found-messages = Messages
contact-declined = declined
presence-online = Online
presence-offline = Offline
contact-message = Message
contact-no-conversation = There is no conversation with this contact yet.
contact-add = Add contact
contact-add-p2p-hint = Account id or registered name
contact-add-sip-hint = SIP address (sip:bob@example.org)
contact-add-address = Contact address
contact-add-name = Name (optional)
contact-add-do = Add
contact-add-cancel = Cancel
contact-page-account = Contact on { $account }
contact-page-address = Address
contact-page-devices = Devices
contact-page-no-devices = No device met yet
contact-unblock = Unblock
contact-remove = Remove contact
contact-remove-ask = Remove { $name } from your contacts? The conversation and its history stay.
contact-details = Contact details
recent-none = No calls yet.
call-back = Call back
call-missed-from = Missed call from { $peer }
call-ended-with = Call with { $peer } ended
end-reason-ended = Ended
end-reason-remote-hangup = The other side hung up
end-reason-connection-lost = Connection lost
end-reason-no-media = No usable audio
end-reason-answered-elsewhere = Answered on another device
end-reason-transferred = Transferred
end-reason-you-declined = You declined
end-reason-declined = Declined
end-reason-busy = Busy
end-reason-offline = Not available (offline)
end-reason-not-found = Not found
end-reason-no-answer = No answer
end-reason-incompatible = Incompatible audio
end-reason-unreachable = Address could not be reached
end-reason-missed = Missed call
end-reason-cancelled = Cancelled
end-reason-refused = Refused ({ $code })
incoming-call-to = on { $account }
chat-today = Today
chat-yesterday = Yesterday
welcome-ready = Choose a conversation on the left, or add a contact to start one.
welcome-your-id = Others add you on { $account } with this id:
welcome-copy = Copy
chat-receipt-failed = not sent
chat-retry = Retry
call-record-answered = Call, { $duration }
call-record-missed = Missed call
call-record-declined = Declined call
open-refused = Cannot open this link: { $reason }
open-no-sip-account = No SIP account is ready to call { $uri }. Add one or enable it.
open-no-p2p-account = No peer-to-peer account to open { $uri }. Create one first.
tray-show = Show Ringlet
tray-quit = Quit
file-attach = Attach a file
file-drop-here = Drop the files to send them here
file-open = Open
file-show-folder = Show in folder
picker-title-send = Choose a file to send
picker-title-play = Choose a file to play into the call
picker-title-picture = Choose a profile picture (PNG or JPEG)
picker-up = ⬆ Up
picker-folder = Folder
picker-empty = This folder is empty.
picker-unreadable = Cannot read { $folder }: { $reason }
picker-choose = Choose…
chat-edit = Edit
chat-delete = Delete for everyone
chat-menu-hint = Right click: edit or delete
chat-editing = Editing your message
chat-edit-cancel = Cancel
chat-save = Save
account-call-elsewhere = In a call with { $peer } on { $device }
call-silence = Silence participant
call-unsilence = Let speak
chat-emoji = Emoji
account-register-name = Registered name
account-register-name-hint = 3–32 of a-z, 0-9, . _ -
account-register = Register
account-registered = Registered: { $name }
file-picture = Picture { $name }

# Problems the engine reports (notices), said in every language.
problem-device-failed = { $device ->
    [microphone] Microphone
   *[speaker] Speaker
} { $name } failed; using the default one
problem-no-device = No { $device ->
    [microphone] microphone
   *[speaker] speaker
} for calls: { $error }
problem-no-meter = The input level meter is unavailable: { $error }
problem-no-jack = JACK is not available ({ $error }); using the system's audio
problem-group-invite = { $from } invited you to a group ({ $group })
problem-account-offline = Account { $account } is not online
problem-no-account = There is no account { $account }
problem-own-id = That is this account's own id
problem-picture-format = { $file } is not a PNG or JPEG picture
problem-picture-too-large = { $file } is too large for a picture (at most 20 MiB)
problem-picture-unreadable = { $file } cannot be read as a picture: { $reason }
