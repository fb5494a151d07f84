# Ringlet，繁體中文（臺灣）。

app-name = Ringlet
app-tagline = 自由、去中心化的網路電話與即時通訊軟體

## Sidebar
sidebar-accounts = 帳號
sidebar-contacts = 聯絡人
sidebar-conversations = 對話
sidebar-search-hint = 搜尋聯絡人與訊息
sidebar-no-accounts = 尚未建立帳號。
sidebar-no-contacts = 尚無聯絡人。
contact-call = 撥打
sidebar-no-conversations = 尚無對話。
sidebar-add-account = 新增帳號
sidebar-settings = 設定
sidebar-about = 關於
sidebar-no-match = 找不到符合「{ $query }」的項目。

## Accounts
account-kind-sip = SIP
account-kind-p2p = 點對點
account-disabled = 已停用
registration-offline = 離線
registration-trying = 連線中…
registration-registered = 線上
registration-failed = 失敗：{ $reason }
account-id = 帳號 ID
account-name = 名稱
account-rename = 重新命名
account-enabled = 啟用
account-delete = 刪除帳號
account-delete-confirm = 要刪除「{ $name }」及其所有資料嗎？此動作無法復原。
account-delete-yes = 刪除
account-export = 匯出封存檔
account-export-path = 封存檔儲存位置
account-export-passphrase = 封存檔密語
account-export-done = 封存檔已儲存至 { $path }
account-devices = 裝置
account-this-device = 本裝置
account-sip-address = SIP 位址
account-registrar = 註冊伺服器
account-none = 無

## Account wizard
wizard-title = 新增帳號
wizard-choose = 您想要哪一種帳號？
wizard-create-p2p = 建立點對點帳號
wizard-create-p2p-help = 不需要任何伺服器的身分：一組保存在本裝置上的金鑰。
wizard-import = 匯入帳號封存檔
wizard-import-help = 使用在其他裝置匯出的封存檔，將本裝置加入您現有的帳號。
wizard-add-sip = 新增 SIP 帳號
wizard-add-sip-help = 使用 SIP 服務供應商或 Asterisk、Kamailio 等交換機的帳號。
wizard-display-name = 顯示名稱
wizard-device-name = 裝置名稱
wizard-archive-file = 封存檔
wizard-passphrase = 密語
wizard-sip-aor = SIP 位址
wizard-sip-registrar = 註冊伺服器（選填）
wizard-sip-username = 使用者名稱（選填）
wizard-sip-password = 密碼
wizard-sip-transport = 傳輸協定
wizard-create = 建立帳號
wizard-import-button = 匯入
wizard-add = 新增帳號
wizard-back = 上一步
wizard-cancel = 取消
wizard-name-required = 請輸入名稱。
wizard-path-required = 請輸入封存檔的路徑。
wizard-aor-invalid = 請輸入像 sip:alice@example.org 這樣的位址。
wizard-busy = 處理中…

## Settings
settings-title = 設定
settings-language = 語言
settings-theme = 主題
settings-theme-dark = 深色
settings-theme-light = 淺色
settings-audio = 音訊
settings-audio-input = 麥克風
settings-audio-output = 喇叭
settings-audio-default = 系統預設
settings-input-level = 輸入音量
settings-refresh-devices = 重新偵測裝置
settings-no-devices = 找不到音訊裝置。
settings-ringtone = 鈴聲
settings-ringtone-default = 內建鈴聲
settings-ringtone-path = 鈴聲檔案
settings-apply = 套用
settings-close = 關閉

## About
about-title = 關於 Ringlet
about-version = 版本 { $version }
about-license = 以 GNU 通用公共授權條款第 3 版或更新版本發布的自由軟體。
about-data-dir = 資料資料夾：{ $path }
about-close = 關閉

## Main area
welcome-title = 歡迎使用 Ringlet
welcome-body = 建立點對點帳號即可在完全不需伺服器的情況下通話，或新增 SIP 帳號撥打任何電話。
error-title = 發生錯誤
error-dismiss = 關閉

## Calls
calls-title = 通話
call-answer = 接聽
call-reject = 拒接
call-hangup = 掛斷
call-state-incoming = 來電
call-state-outgoing = 撥號中…
call-state-active = 通話中
call-state-held = 保留中
dial-hint = sip:名稱@主機
dial-button = 撥打

# Calls in progress, incoming calls and chat
call-hold = 保留
call-resume = 恢復
call-held-remotely = 對方已保留通話
call-keypad = 撥號鍵盤
call-transfer = 轉接
call-transfer-hint = sip:某人@example.org
call-transfer-to-call = 與 { $peer } 連接
call-transfer-progress = 轉接：{ $code }
call-dtmf-received = 收到的按鍵：{ $digits }
call-path = 端對端加密 · { $path }
incoming-call-title = 來電
incoming-call-from = { $peer } 來電
chat-send = 傳送
chat-hint = 輸入訊息
chat-empty = 尚無訊息。
dial-message = 傳訊息
voicemail-count = { $new } 則新語音留言，{ $old } 則舊留言

# Call audio
call-volume = 音量
call-mute = 靜音
call-unmute = 取消靜音
call-record = 錄音
call-record-stop = 停止錄音
call-recording = 正在錄音
call-play-file = 播放檔案
call-play-path = 音訊檔案（FLAC、Ogg、MP3、WAV）
call-play = 播放
call-play-stop = 停止播放
call-merge = 合併通話
call-in-conference = 會議中
call-statistics = 統計
call-srtp-on = SRTP
call-srtp-off = 未加密
call-figures = 丟包 { $loss } % · 抖動 { $jitter } 毫秒 · 來回 { $rtt } 毫秒 · ↑{ $up } ↓{ $down } kbit/s
call-level-sent = 傳送
call-level-heard = 接收
call-plot-loss = 丟包 %
call-plot-jitter = 抖動 毫秒
call-plot-rtt = 來回 毫秒
settings-echo-cancellation = 回音消除
settings-noise-suppression = 雜訊抑制
settings-gain-control = 自動增益控制
sidebar-requests = 聯絡人邀請
request-accept = 接受
request-decline = 拒絕
request-block = 封鎖
contact-requested = 已送出邀請
contact-blocked = 已封鎖

# Files in P2P conversations
file-send = 傳送檔案
file-path-hint = 要傳送的檔案路徑
file-accept = 接受
file-decline = 拒絕
file-state-offered = 待接收
file-state-accepted = 接收中
file-state-done = 已完成
file-state-declined = 已拒絕
file-state-failed = 失敗
file-files = 檔案
file-resumed = 從 { $percent }% 處繼續
chat-typing = { $who } 正在輸入…
settings-open-urls = 自動開啟聊天中收到的連結
account-revoke = 撤銷
account-revoke-yes = 永久撤銷
account-share = 分享
account-share-hint = 掃描以將此帳號加為聯絡人。
chat-receipt-delivered = 已送達
chat-receipt-read = 已讀
chat-search-hint = 搜尋此對話
chat-searching = 正在搜尋…
chat-search-none = 沒有找到。
chat-search-found = 找到 { $count } 則訊息
chat-deleted = （已刪除）
account-device-rename-hint = 此裝置的新名稱
account-device-rename = 重新命名裝置
account-link = 新裝置
account-link-button = 用 PIN 碼連結新裝置
account-link-pin-hint = 在新裝置上選擇「用 PIN 碼加入」並輸入此 PIN 碼。10 分鐘內有效。
wizard-link = 用 PIN 碼加入
wizard-link-help = 將此裝置加入現有帳號：在該帳號的裝置上取得 PIN 碼，然後在此輸入。
wizard-pin = PIN 碼
wizard-pin-required = 請輸入另一台裝置上顯示的 PIN 碼。
wizard-link-button = 加入
wizard-link-looking = 正在尋找此 PIN 碼提供的帳號…
groups-you = 你
groups-title = 群組
groups-none = 還沒有群組。
groups-invited = 已邀請
groups-join = 加入
groups-leave = 退出
groups-admin = 管理員
groups-not-joined = 尚未加入
groups-remove = 移除
groups-choose = 選擇聯絡人
groups-add = 新增
groups-new-title = 新群組的名稱
groups-create = 建立群組
groups-no-contacts = 已確認的聯絡人可以加入群組。
