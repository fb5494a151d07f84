# Ringlet，简体中文（中国大陆）。

app-name = Ringlet
app-tagline = 自由、去中心化的网络电话与即时通讯软件

## Sidebar
sidebar-accounts = 账户
sidebar-contacts = 联系人
sidebar-conversations = 会话
sidebar-search-hint = 搜索联系人和消息
sidebar-no-accounts = 还没有账户。
sidebar-no-contacts = 还没有联系人。
contact-call = 呼叫
sidebar-no-conversations = 还没有会话。
sidebar-add-account = 添加账户
sidebar-settings = 设置
sidebar-about = 关于
sidebar-no-match = 没有与“{ $query }”匹配的内容。

## Accounts
account-kind-sip = SIP
account-kind-p2p = 点对点
account-disabled = 已停用
registration-offline = 离线
registration-trying = 正在连接…
registration-registered = 在线
registration-failed = 失败：{ $reason }
account-id = 账户 ID
account-name = 名称
account-rename = 重命名
account-enabled = 启用
account-delete = 删除账户
account-delete-confirm = 要删除“{ $name }”及其全部数据吗？此操作无法撤销。
account-delete-yes = 删除
account-export = 导出存档
account-export-path = 存档保存位置
account-export-passphrase = 存档口令
account-export-done = 存档已保存到 { $path }
account-devices = 设备
account-this-device = 本设备
account-sip-address = SIP 地址
account-registrar = 注册服务器
account-none = 无

## Account wizard
wizard-title = 添加账户
wizard-choose = 您想要哪种账户？
wizard-create-p2p = 创建点对点账户
wizard-create-p2p-help = 无需任何服务器的身份：一对保存在本设备上的密钥。
wizard-import = 导入账户存档
wizard-import-help = 使用在其他设备上导出的存档，将本设备加入您已有的账户。
wizard-add-sip = 添加 SIP 账户
wizard-add-sip-help = 使用 SIP 服务商或 Asterisk、Kamailio 等交换机的账户。
wizard-display-name = 显示名称
wizard-device-name = 设备名称
wizard-archive-file = 存档文件
wizard-passphrase = 口令
wizard-sip-aor = SIP 地址
wizard-sip-registrar = 注册服务器（可选）
wizard-sip-username = 用户名（可选）
wizard-sip-password = 密码
wizard-sip-transport = 传输协议
wizard-create = 创建账户
wizard-import-button = 导入
wizard-add = 添加账户
wizard-back = 上一步
wizard-cancel = 取消
wizard-name-required = 请输入名称。
wizard-path-required = 请输入存档文件的路径。
wizard-aor-invalid = 请输入类似 sip:alice@example.org 的地址。
wizard-busy = 处理中…

## Settings
settings-title = 设置
settings-language = 语言
settings-theme = 主题
settings-theme-dark = 深色
settings-theme-light = 浅色
settings-audio = 音频
settings-audio-input = 麦克风
settings-audio-output = 扬声器
settings-audio-default = 系统默认
settings-input-level = 输入电平
settings-refresh-devices = 重新检测设备
settings-no-devices = 未找到音频设备。
settings-ringtone = 铃声
settings-ringtone-default = 内置铃声
settings-ringtone-path = 铃声文件
settings-apply = 应用
settings-close = 关闭

## About
about-title = 关于 Ringlet
about-version = 版本 { $version }
about-license = 依据 GNU 通用公共许可证第 3 版或更高版本发布的自由软件。
about-data-dir = 数据文件夹：{ $path }
about-close = 关闭

## Main area
welcome-title = 欢迎使用 Ringlet
welcome-body = 创建点对点账户即可完全无需服务器地通话，或添加 SIP 账户拨打任何电话。
error-title = 出错了
error-dismiss = 关闭

## Calls
calls-title = 通话
call-answer = 接听
call-reject = 拒接
call-hangup = 挂断
call-state-incoming = 来电
call-state-outgoing = 正在呼叫…
call-state-active = 通话中
call-state-held = 保持中
dial-hint = sip:名称@主机
dial-button = 呼叫

# Calls in progress, incoming calls and chat
call-hold = 保持
call-resume = 恢复
call-held-remotely = 对方已保持通话
call-keypad = 拨号键盘
call-transfer = 转接
call-transfer-hint = sip:某人@example.org
call-transfer-to-call = 与 { $peer } 连接
call-transfer-progress = 转接：{ $code }
call-dtmf-received = 收到的按键：{ $digits }
call-path = 端到端加密 · { $path }
incoming-call-title = 来电
incoming-call-from = { $peer } 来电
chat-send = 发送
chat-hint = 输入消息
chat-empty = 还没有消息。
dial-message = 发消息
voicemail-count = { $new } 条新语音留言，{ $old } 条旧留言

# Call audio
call-volume = 音量
call-mute = 静音
call-unmute = 取消静音
call-record = 录音
call-record-stop = 停止录音
call-recording = 正在录音
call-play-file = 播放文件
call-play-path = 音频文件（FLAC、Ogg、MP3、WAV）
call-play = 播放
call-play-stop = 停止播放
call-merge = 合并通话
call-in-conference = 会议中
call-statistics = 统计
call-srtp-on = SRTP
call-srtp-off = 未加密
call-figures = 丢包 { $loss } % · 抖动 { $jitter } 毫秒 · 往返 { $rtt } 毫秒 · ↑{ $up } ↓{ $down } kbit/s
call-level-sent = 发送
call-level-heard = 接收
call-plot-loss = 丢包 %
call-plot-jitter = 抖动 毫秒
call-plot-rtt = 往返 毫秒
settings-echo-cancellation = 回声消除
settings-noise-suppression = 噪声抑制
settings-gain-control = 自动增益控制
sidebar-requests = 联系人请求
request-accept = 接受
request-decline = 拒绝
request-block = 屏蔽
contact-requested = 已发送请求
contact-blocked = 已屏蔽

# Files in P2P conversations
file-send = 发送文件
file-path-hint = 要发送的文件路径
file-accept = 接受
file-decline = 拒绝
file-state-offered = 待接收
file-state-accepted = 接收中
file-state-done = 已完成
file-state-declined = 已拒绝
file-state-failed = 失败
file-files = 文件
file-resumed = 从 { $percent }% 处继续
chat-typing = { $who } 正在输入…
settings-open-urls = 自动打开聊天中收到的链接
account-revoke = 撤销
account-revoke-yes = 永久撤销
account-share = 分享
account-share-hint = 扫描以将此帐户添加为联系人。
chat-receipt-delivered = 已送达
chat-receipt-read = 已读
chat-search-hint = 搜索此对话
chat-searching = 正在搜索…
chat-search-none = 没有找到。
chat-search-found = 找到 { $count } 条消息
chat-deleted = （已删除）
account-device-rename-hint = 此设备的新名称
account-device-rename = 重命名设备
account-link = 新设备
account-link-button = 用 PIN 码关联新设备
account-link-pin-hint = 在新设备上选择“用 PIN 码加入”并输入此 PIN 码。10 分钟内有效。
wizard-link = 用 PIN 码加入
wizard-link-help = 将此设备加入已有账户：在该账户的设备上获取 PIN 码，然后在此输入。
wizard-pin = PIN 码
wizard-pin-required = 请输入另一台设备上显示的 PIN 码。
wizard-link-button = 加入
wizard-link-looking = 正在查找此 PIN 码提供的账户…
groups-you = 你
groups-title = 群组
groups-none = 还没有群组。
groups-invited = 已邀请
groups-join = 加入
groups-leave = 退出
groups-admin = 管理员
groups-not-joined = 尚未加入
groups-remove = 移除
groups-choose = 选择联系人
groups-add = 添加
groups-new-title = 新群组的名称
groups-create = 创建群组
groups-no-contacts = 已确认的联系人可以加入群组。
