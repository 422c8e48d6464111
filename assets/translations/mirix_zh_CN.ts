<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ActivityTimeline</name>
    <message>
        <source>No screen activity in this range</source>
        <translation>这段时间没有屏幕活动</translation>
    </message>
</context>
<context>
    <name>Bubble</name>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Not answered: {0}</source>
        <translation>未能回答：{0}</translation>
    </message>
    <message>
        <source>No memory was close to this question; the answer draws on the conversation alone.</source>
        <translation>没有与这个问题相关的记忆；回答只依据本次对话。</translation>
    </message>
    <message>
        <source>Nothing in your memories is close to this message.</source>
        <translation>你的记忆里没有与这条消息相关的内容。</translation>
    </message>
    <message>
        <source>Memories used ({0})</source>
        <translation>用到的记忆（{0}）</translation>
    </message>
</context>
<context>
    <name>ChatWindow</name>
    <message>
        <source>Chat — mirix-app</source>
        <translation>对话 — mirix-app</translation>
    </message>
    <message>
        <source>Open settings</source>
        <translation>打开设置</translation>
    </message>
    <message>
        <source>Ask about anything you have seen or said</source>
        <translation>问问你看过或说过的任何事</translation>
    </message>
    <message>
        <source>“What did I decide about the launch date?” · “When is the vet?” · “Which invoice was due this week?” Answers draw on your memories and show which ones they used.</source>
        <translation>“发布日期我最后定的是哪天？” · “什么时候带宠物看兽医？” · “这周哪张发票到期？” 回答依据你的记忆，并列出用到了哪些。</translation>
    </message>
    <message>
        <source>Message (Enter sends, Shift+Enter a new line)</source>
        <translation>输入消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>the answer did not arrive last time.</source>
        <translation>上次没有收到回答。</translation>
    </message>
    <message>
        <source>I have no language model to answer with yet; this is what your memories hold about it.</source>
        <translation>我还没有可用来回答的语言模型；以下是你的记忆中与此相关的内容。</translation>
    </message>
    <message>
        <source>No language model is set up ({0}), so chat shows the memories that match instead of answering. Choose a provider in Settings.</source>
        <translation>尚未设置语言模型（{0}），所以对话只列出匹配的记忆而不作回答。请在设置中选择一个服务商。</translation>
    </message>
    <message>
        <source>none configured</source>
        <translation>未配置</translation>
    </message>
    <message>
        <source>{0} Check the language model in Settings.</source>
        <translation>{0} 请在设置中检查语言模型。</translation>
    </message>
</context>
<context>
    <name>Desktop</name>
    <message>
        <source>the last 5 minutes</source>
        <translation>最近 5 分钟</translation>
    </message>
    <message>
        <source>the last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Capturing the screen</source>
        <translation>正在截屏</translation>
    </message>
    <message>
        <source>Capture paused</source>
        <translation>截屏已暂停</translation>
    </message>
    <message>
        <source>Capture stopped by an error</source>
        <translation>截屏因出错而停止</translation>
    </message>
    <message>
        <source>Capture off</source>
        <translation>截屏已关闭</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Search everything</source>
        <translation>全局搜索</translation>
    </message>
    <message>
        <source>Search screenshots</source>
        <translation>搜索截图</translation>
    </message>
    <message>
        <source>Memories</source>
        <translation>记忆</translation>
    </message>
    <message>
        <source>Pause capture</source>
        <translation>暂停截屏</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Forget</source>
        <translation>遗忘</translation>
    </message>
    <message>
        <source>Capture is off</source>
        <translation>截屏已关闭</translation>
    </message>
    <message>
        <source>Capture unavailable</source>
        <translation>无法截屏</translation>
    </message>
    <message>
        <source>mirix-app cannot start</source>
        <translation>mirix-app 无法启动</translation>
    </message>
    <message>
        <source>Nothing was forgotten</source>
        <translation>没有遗忘任何内容</translation>
    </message>
    <message>
        <source>Forget %1?</source>
        <translation>遗忘%1的内容？</translation>
    </message>
    <message>
        <source>Forgotten</source>
        <translation>已遗忘</translation>
    </message>
    <message>
        <source>Memory agents are waiting</source>
        <translation>记忆代理正在等待</translation>
    </message>
    <message>
        <source>{problem} Nothing is lost: the batches stay queued. Check the language model in Settings.</source>
        <translation>{problem} 没有丢失任何内容：这些批次仍在队列中。请在设置中检查语言模型。</translation>
    </message>
    <message>
        <source>Capture anyway (rules off)…</source>
        <translation>仍然截屏（不套用规则）…</translation>
    </message>
    <message>
        <source>Capture with the rules off?</source>
        <translation>不套用规则截屏？</translation>
    </message>
    <message>
        <source>Capture anyway? Every window will be captured, password managers and private windows included.</source>
        <translation>仍然截屏吗？所有窗口都会被截取，包括密码管理器和隐私窗口。</translation>
    </message>
    <message>
        <source>Capture stopped on its own.</source>
        <translation>截屏自行停止了。</translation>
    </message>
    <message>
        <source>Resume capture</source>
        <translation>继续截屏</translation>
    </message>
    <message>
        <source>Start capture</source>
        <translation>开始截屏</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>Unexpected error ({0}: {1}); see the log for details.</source>
        <translation>意外错误（{0}：{1}）；详情请查看日志。</translation>
    </message>
</context>
<context>
    <name>Fields</name>
    <message>
        <source>Block</source>
        <translation>区块</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <source>Character limit</source>
        <translation>字数上限</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>人物</translation>
    </message>
    <message>
        <source>Kind of event</source>
        <translation>事件类型</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Filed under</source>
        <translation>归类于</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步骤</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>Kind of resource</source>
        <translation>资源类型</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>Sensitivity</source>
        <translation>敏感度</translation>
    </message>
    <message>
        <source>Secret</source>
        <translation>机密内容</translation>
    </message>
    <message>
        <source>Caption</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>发言人</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>At</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Imported as</source>
        <translation>导入编号</translation>
    </message>
    <message>
        <source>Application</source>
        <translation>应用</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Monitor</source>
        <translation>显示器</translation>
    </message>
    <message>
        <source>Text on screen</source>
        <translation>屏幕文字</translation>
    </message>
</context>
<context>
    <name>FirstRun</name>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>only for Ollama or your own server</source>
        <translation>仅用于 Ollama 或你自己的服务器</translation>
    </message>
    <message>
        <source>kept in the OS keyring</source>
        <translation>保存在系统密钥环中</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>A provider: OpenAI, Gemini, Anthropic, Ollama or any OpenAI-compatible server</source>
        <translation>服务商：OpenAI、Gemini、Anthropic、Ollama 或任何兼容 OpenAI 的服务器</translation>
    </message>
    <message>
        <source>Needs the model&apos;s name (provider/model) and an API key, or the address of a server on your network. Screen text is redacted before it is sent.</source>
        <translation>需要模型名称（服务商/模型）和 API 密钥，或你网络中某台服务器的地址。屏幕文字在发送前会被脱敏。</translation>
    </message>
    <message>
        <source>Name the provider&apos;s model, e.g. openai/gpt-4o-mini.</source>
        <translation>请填写服务商的模型，例如 openai/gpt-4o-mini。</translation>
    </message>
    <message>
        <source>Write the model as provider/model, e.g. openai/gpt-4o-mini.</source>
        <translation>模型请写成 服务商/模型，例如 openai/gpt-4o-mini。</translation>
    </message>
    <message>
        <source>Asking {0} for a one-word reply…</source>
        <translation>正在请 {0} 回复一个词…</translation>
    </message>
    <message>
        <source>A model server on this computer (Ollama, LM Studio, llama.cpp, vLLM)</source>
        <translation>本机上的模型服务器（Ollama、LM Studio、llama.cpp、vLLM）</translation>
    </message>
    <message>
        <source>Needs the server running with a model loaded; nothing leaves this computer. The embedded model, where installed, stays the fallback.</source>
        <translation>需要服务器正在运行并已载入模型；任何数据都不会离开这台电脑。若已安装内置模型，它仍作为后备。</translation>
    </message>
    <message>
        <source>No model found on this computer: choose another way, or look again.</source>
        <translation>这台电脑上没有找到模型：请换一种方式，或重新查找。</translation>
    </message>
    <message>
        <source>The embedded model (SmolLM2, runs on this computer)</source>
        <translation>内置模型（SmolLM2，在本机运行）</translation>
    </message>
    <message>
        <source>Installed here: needs no account and no network. A small model: its memories are few and plain, its answers often off the point.</source>
        <translation>已安装在本机：无需账号，无需联网。这是个小模型：它写下的记忆少而简单，回答常常不够切题。</translation>
    </message>
    <message>
        <source>Loading the embedded model for a one-word reply…</source>
        <translation>正在载入内置模型，请它回复一个词…</translation>
    </message>
    <message>
        <source>No language model for now</source>
        <translation>暂不使用语言模型</translation>
    </message>
    <message>
        <source>Needs nothing. Memories are made by simple rules (one per message) and chat lists what it finds instead of answering. Choose a provider later in Settings.</source>
        <translation>无需任何准备。记忆按简单规则生成（每条消息一条），对话只列出找到的内容而不作回答。之后可在设置中选择服务商。</translation>
    </message>
    <message>
        <source>The embedded model is not offered: {0}. Install it and start mirix-app again to choose it.</source>
        <translation>无法使用内置模型：{0}。安装后重新启动 mirix-app 即可选择它。</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>Welcome to mirix-app</source>
        <translation>欢迎使用 mirix-app</translation>
    </message>
    <message>
        <source>It remembers what you see on screen and what you say, and answers questions about it. Everything stays in a folder on this computer.</source>
        <translation>它会记住你在屏幕上看到的和你说过的，并回答与之相关的问题。所有内容都保存在这台电脑的一个文件夹里。</translation>
    </message>
    <message>
        <source>Who answers and writes the memories</source>
        <translation>由谁来回答和撰写记忆</translation>
    </message>
    <message>
        <source>Privacy</source>
        <translation>隐私</translation>
    </message>
    <message>
        <source>Never capture these apps</source>
        <translation>从不截取这些应用</translation>
    </message>
    <message>
        <source>Nor windows titled</source>
        <translation>也不截取标题为以下内容的窗口</translation>
    </message>
    <message>
        <source>Passwords, keys and personal details are redacted from screen text before it goes to a provider. Vault secrets are encrypted on disk.</source>
        <translation>屏幕文字发送给服务商之前，其中的密码、密钥和个人信息会被脱敏。保险库中的机密在磁盘上加密保存。</translation>
    </message>
    <message>
        <source>Redact also for the embedded model</source>
        <translation>对内置模型也脱敏</translation>
    </message>
    <message>
        <source>Screen capture</source>
        <translation>截屏</translation>
    </message>
    <message>
        <source>Start capturing the screen now (pause any time from the tray)</source>
        <translation>现在开始截屏（随时可从托盘暂停）</translation>
    </message>
    <message>
        <source>Capture anyway, with the app and title rules off</source>
        <translation>仍然截屏，不套用应用和标题规则</translation>
    </message>
    <message>
        <source>Keep it anyway</source>
        <translation>仍然保留</translation>
    </message>
    <message>
        <source>Save this language model although the check failed; fix it later in Settings</source>
        <translation>检查未通过也保存这个语言模型；之后在设置中修正</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>It did not answer: {0} Change it and press Finish again.</source>
        <translation>它没有回答：{0} 请修改后再次点击“完成”。</translation>
    </message>
</context>
<context>
    <name>Forgetter</name>
    <message>
        <source>Nothing recorded there to forget.</source>
        <translation>这段时间没有可遗忘的记录。</translation>
    </message>
    <message>
        <source>This deletes for good {0}: images, text and everything made from them. It cannot be undone.</source>
        <translation>这将永久删除 {0}：图片、文字以及由它们生成的一切。此操作无法撤销。</translation>
    </message>
    <message>
        <source>Forgot {0}.</source>
        <translation>已遗忘 {0}。</translation>
    </message>
</context>
<context>
    <name>HistoryDialog</name>
    <message>
        <source>edited</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>deleted</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>restored</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>History of {0}</source>
        <translation>{0} 的历史</translation>
    </message>
    <message>
        <source>current</source>
        <translation>当前</translation>
    </message>
    <message>
        <source>until {0}</source>
        <translation>{0}前</translation>
    </message>
    <message>
        <source>Version {0}, current</source>
        <translation>版本 {0}，当前</translation>
    </message>
    <message>
        <source>Version {0}, until it was {1}</source>
        <translation>版本 {0}，{1}前</translation>
    </message>
</context>
<context>
    <name>ImageWindow</name>
    <message>
        <source>The image of {0} is no longer stored (the storage budget removed it).</source>
        <translation>{0} 的图片已不再保存（因存储空间上限被删除）。</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>适应窗口</translation>
    </message>
    <message>
        <source>100 %</source>
        <translation>100 %</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在载入…</translation>
    </message>
    <message>
        <source>{0} — mirix-app</source>
        <translation>{0} — mirix-app</translation>
    </message>
    <message>
        <source>Cannot read the image {0} (moved, or deleted by the storage budget).</source>
        <translation>无法读取图片 {0}（已被移动，或因存储空间上限被删除）。</translation>
    </message>
</context>
<context>
    <name>Kinds</name>
    <message>
        <source>Core</source>
        <translation>核心</translation>
    </message>
    <message>
        <source>core memory</source>
        <translation>核心记忆</translation>
    </message>
    <message>
        <source>Episodes</source>
        <translation>情景</translation>
    </message>
    <message>
        <source>episodic memories</source>
        <translation>情景记忆</translation>
    </message>
    <message>
        <source>Facts</source>
        <translation>事实</translation>
    </message>
    <message>
        <source>semantic memories (people, places, things)</source>
        <translation>语义记忆（人物、地点、事物）</translation>
    </message>
    <message>
        <source>How-tos</source>
        <translation>操作指南</translation>
    </message>
    <message>
        <source>procedural memories (workflows, guides, scripts)</source>
        <translation>程序记忆（流程、指南、脚本）</translation>
    </message>
    <message>
        <source>Resources</source>
        <translation>资源</translation>
    </message>
    <message>
        <source>resources (documents, links, files)</source>
        <translation>资源（文档、链接、文件）</translation>
    </message>
    <message>
        <source>Vault</source>
        <translation>保险库</translation>
    </message>
    <message>
        <source>vault items (credentials, numbers, addresses)</source>
        <translation>保险库条目（凭据、号码、地址）</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Screenshots</source>
        <translation>截图</translation>
    </message>
    <message>
        <source>screenshots</source>
        <translation>截图</translation>
    </message>
</context>
<context>
    <name>LauncherWindow</name>
    <message>
        <source>your local memory assistant</source>
        <translation>你的本地记忆助手</translation>
    </message>
</context>
<context>
    <name>LocalServersBox</name>
    <message>
        <source>Model servers on this computer</source>
        <translation>本机上的模型服务器</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <source>Let it see key frames of the screen (the images stay on this computer)</source>
        <translation>让它查看屏幕的关键帧（图片不会离开这台电脑）</translation>
    </message>
    <message>
        <source>Looking for model servers on this computer…</source>
        <translation>正在查找本机上的模型服务器…</translation>
    </message>
    <message>
        <source>, takes images</source>
        <translation>，可读图片</translation>
    </message>
    <message>
        <source>, no tool calls</source>
        <translation>，不支持工具调用</translation>
    </message>
    <message numerus="yes">
        <source>Found %n model(s). Choose one to write the memories:</source>
        <translation>
            <numerusform>找到 %n 个模型。选择一个来撰写记忆：</numerusform>
        </translation>
    </message>
    <message>
        <source>No model server is running on this computer (Ollama, LM Studio, llama.cpp, vLLM). The embedded model stays the fallback.</source>
        <translation>这台电脑上没有正在运行的模型服务器（Ollama、LM Studio、llama.cpp、vLLM）。内置模型仍作为后备。</translation>
    </message>
</context>
<context>
    <name>MemoryBrowser</name>
    <message>
        <source>Any time</source>
        <translation>不限时间</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>Last year</source>
        <translation>最近一年</translation>
    </message>
    <message>
        <source>Core memory holds who you are and how the assistant should answer.</source>
        <translation>核心记忆记录你是谁，以及助手应该如何回答。</translation>
    </message>
    <message>
        <source>Episodes are what happened and when. They come from your chats, imported messages and screen captures; or add one with New.</source>
        <translation>情景记忆记录发生了什么、在什么时候。它们来自你的对话、导入的消息和截屏；也可以点“新建”手动添加。</translation>
    </message>
    <message>
        <source>Facts about people, places and things appear as the memory agents read your chats and screens; or add one with New.</source>
        <translation>记忆代理阅读你的对话和屏幕时，会记下关于人物、地点和事物的事实；也可以点“新建”手动添加。</translation>
    </message>
    <message>
        <source>How-tos are workflows, guides and scripts. Add one with New.</source>
        <translation>操作指南是流程、指南和脚本。点“新建”即可添加。</translation>
    </message>
    <message>
        <source>Resources are documents, links and files worth keeping. Add one with New.</source>
        <translation>资源是值得保留的文档、链接和文件。点“新建”即可添加。</translation>
    </message>
    <message>
        <source>The vault keeps credentials, numbers and addresses, encrypted on disk. Add one with New.</source>
        <translation>保险库保存凭据、号码和地址，在磁盘上加密。点“新建”即可添加。</translation>
    </message>
    <message>
        <source>Messages are your chats and imported conversations (mirix-app import messages).</source>
        <translation>消息是你的对话和导入的会话（mirix-app import messages）。</translation>
    </message>
    <message>
        <source>Screenshots appear while capture runs (tray menu: Start capture).</source>
        <translation>截屏运行时会出现截图（托盘菜单：开始截屏）。</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <source>Memories — mirix-app</source>
        <translation>记忆 — mirix-app</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Export or import everything</source>
        <translation>导出或导入全部内容</translation>
    </message>
    <message>
        <source>Export everything…</source>
        <translation>导出全部…</translation>
    </message>
    <message>
        <source>Import an export file…</source>
        <translation>导入导出文件…</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>条目</translation>
    </message>
    <message>
        <source>Search {0} by words or meaning…</source>
        <translation>按词语或含义搜索{0}…</translation>
    </message>
    <message>
        <source>Add a memory of this type by hand</source>
        <translation>手动添加一条此类记忆</translation>
    </message>
    <message>
        <source>{0} cannot be added by hand</source>
        <translation>{0}不能手动添加</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在载入…</translation>
    </message>
    <message numerus="yes">
        <source>%n match for “{0}”</source>
        <translation>
            <numerusform>“{0}”有 %n 个匹配</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n matches for “{0}”, best first</source>
        <translation>
            <numerusform>“{0}”有 %n 个匹配，最相关的在前</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item</source>
        <translation>
            <numerusform>%n 项</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n items, newest first</source>
        <translation>
            <numerusform>%n 项，最新的在前</numerusform>
        </translation>
    </message>
    <message>
        <source>No {0} match “{1}”</source>
        <translation>没有与“{1}”匹配的{0}</translation>
    </message>
    <message>
        <source>Try other words, or a longer time range.</source>
        <translation>换个说法试试，或者放宽时间范围。</translation>
    </message>
    <message>
        <source>No {0} yet</source>
        <translation>还没有{0}</translation>
    </message>
    <message>
        <source>Nothing to show</source>
        <translation>没有可显示的内容</translation>
    </message>
    <message>
        <source>This list is empty.</source>
        <translation>列表是空的。</translation>
    </message>
    <message>
        <source>Delete for good?</source>
        <translation>永久删除？</translation>
    </message>
    <message>
        <source>Saved: version {0}.</source>
        <translation>已保存：版本 {0}。</translation>
    </message>
    <message>
        <source>Added.</source>
        <translation>已添加。</translation>
    </message>
    <message>
        <source>Deleted. Undo brings it back.</source>
        <translation>已删除。点“撤销”可恢复。</translation>
    </message>
    <message>
        <source>Restored: version {0}.</source>
        <translation>已恢复：版本 {0}。</translation>
    </message>
    <message>
        <source>Deleted “{0}”.</source>
        <translation>已删除“{0}”。</translation>
    </message>
    <message>
        <source>Export everything</source>
        <translation>导出全部</translation>
    </message>
    <message>
        <source>Import an export file</source>
        <translation>导入导出文件</translation>
    </message>
    <message>
        <source>Exporting to {0}…</source>
        <translation>正在导出到 {0}…</translation>
    </message>
    <message>
        <source>Exported {0} records to {1}.</source>
        <translation>已导出 {0} 条记录到 {1}。</translation>
    </message>
    <message>
        <source>Importing {0}…</source>
        <translation>正在导入 {0}…</translation>
    </message>
    <message>
        <source>Imported {0} from {1}.</source>
        <translation>已从 {1} 导入 {0}。</translation>
    </message>
    <message>
        <source>nothing</source>
        <translation>无</translation>
    </message>
</context>
<context>
    <name>QuickSearch</name>
    <message>
        <source>Search everything — mirix-app</source>
        <translation>全局搜索 — mirix-app</translation>
    </message>
    <message>
        <source>Search memories, messages and screenshots…</source>
        <translation>搜索记忆、消息和截图…</translation>
    </message>
    <message>
        <source>Search everything you have seen and said</source>
        <translation>搜索你看过和说过的一切</translation>
    </message>
    <message>
        <source>Type a few words: a name, a place, what a screen showed. Up and Down choose, Enter opens, Esc closes.</source>
        <translation>输入几个词：人名、地名、屏幕上出现过的内容。上下键选择，Enter 打开，Esc 关闭。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message numerus="yes">
        <source>%n result; Enter opens it.</source>
        <translation>
            <numerusform>%n 个结果；按 Enter 打开。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n results, best first; Enter opens the selected one.</source>
        <translation>
            <numerusform>%n 个结果，最相关的在前；按 Enter 打开选中的一项。</numerusform>
        </translation>
    </message>
    <message>
        <source>Nothing matches “{query}”</source>
        <translation>没有与“{query}”匹配的内容</translation>
    </message>
    <message>
        <source>Try other words, or fewer of them.</source>
        <translation>换个说法，或者少用几个词试试。</translation>
    </message>
    <message>
        <source>What happened “{words}” ({since} – {until}) comes first.</source>
        <translation>“{words}”（{since} 至 {until}）发生的排在前面。</translation>
    </message>
</context>
<context>
    <name>RecordView</name>
    <message>
        <source>one per line</source>
        <translation>每行一项</translation>
    </message>
    <message>
        <source>Nothing selected</source>
        <translation>未选择</translation>
    </message>
    <message>
        <source>Choose an item on the left to see it here.</source>
        <translation>在左侧选择一项，即可在这里查看。</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>撤销删除</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Delete for good…</source>
        <translation>永久删除…</translation>
    </message>
    <message>
        <source>version {0}</source>
        <translation>版本 {0}</translation>
    </message>
    <message>
        <source>deleted {0}</source>
        <translation>删除于 {0}</translation>
    </message>
    <message>
        <source>updated {0}</source>
        <translation>更新于 {0}</translation>
    </message>
    <message>
        <source>New {0}</source>
        <translation>新建：{0}</translation>
    </message>
    <message>
        <source>Fields marked * are required.</source>
        <translation>标有 * 的字段为必填。</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Came from: {0}</source>
        <translation>来自：{0}</translation>
    </message>
    <message>
        <source>Reveal</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Reveal a high-sensitivity secret?</source>
        <translation>显示高敏感度机密？</translation>
    </message>
    <message>
        <source>This secret is marked high sensitivity. Show it on screen?</source>
        <translation>这条机密被标为高敏感度。要在屏幕上显示吗？</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>隐藏</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>没有改动。</translation>
    </message>
</context>
<context>
    <name>ResultCard</name>
    <message>
        <source>+{0} alike</source>
        <translation>另有 {0} 张相似</translation>
    </message>
    <message>
        <source>The same text was also on screen at {0}</source>
        <translation>相同的文字也在 {0} 出现在屏幕上</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Delete this screenshot (and the ones alike) for good</source>
        <translation>永久删除这张截图（及相似的截图）</translation>
    </message>
    <message>
        <source>image no longer stored</source>
        <translation>图片已不再保存</translation>
    </message>
</context>
<context>
    <name>ScreenSearchWindow</name>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>不限时间</translation>
    </message>
    <message>
        <source>Search screenshots — mirix-app</source>
        <translation>搜索截图 — mirix-app</translation>
    </message>
    <message>
        <source>What was on the screen? e.g. “invoice total”, “flight to Lisbon”</source>
        <translation>屏幕上出现过什么？例如“发票总额”“飞往里斯本的航班”</translation>
    </message>
    <message>
        <source>All applications</source>
        <translation>所有应用</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Find a screen by what was on it</source>
        <translation>按内容找回屏幕画面</translation>
    </message>
    <message>
        <source>Type words you remember seeing and press Enter. Narrow it down with the time range and the application; the chart shows when each app was on screen.</source>
        <translation>输入你记得看到过的词语，然后按 Enter。可用时间范围和应用缩小范围；图表显示各个应用在屏幕上出现的时间。</translation>
    </message>
    <message>
        <source>No screenshots in this range</source>
        <translation>这段时间没有截图</translation>
    </message>
    <message>
        <source>Screens are kept while capture runs (tray menu: Start capture). Try a longer range.</source>
        <translation>截屏运行时才会保存屏幕画面（托盘菜单：开始截屏）。试试更长的时间范围。</translation>
    </message>
    <message>
        <source>Type what you remember seeing and press Enter.</source>
        <translation>输入你记得看到过的内容，然后按 Enter。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message numerus="yes">
        <source>%n screenshot matches “{0}” ({1})</source>
        <translation>
            <numerusform>%n 张截图与“{0}”匹配（{1}）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n screenshots match “{0}” ({1}), best first</source>
        <translation>
            <numerusform>%n 张截图与“{0}”匹配（{1}），最相关的在前</numerusform>
        </translation>
    </message>
    <message>
        <source>{0} frames; frames of one window showing the same text are one card</source>
        <translation>共 {0} 帧；同一窗口显示相同文字的帧合为一张卡片</translation>
    </message>
    <message>
        <source>No screenshot matches “{0}”</source>
        <translation>没有与“{0}”匹配的截图</translation>
    </message>
    <message>
        <source>Searched {0}. Try other words, a longer range or all applications.</source>
        <translation>已搜索：{0}。换个说法、放宽时间范围或选择所有应用试试。</translation>
    </message>
    <message>
        <source>Delete for good?</source>
        <translation>永久删除？</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <source>Key from environment variable</source>
        <translation>从环境变量读取密钥</translation>
    </message>
    <message>
        <source>Reply timeout (seconds)</source>
        <translation>回复超时（秒）</translation>
    </message>
    <message>
        <source>Observations per batch</source>
        <translation>每批观察条数</translation>
    </message>
    <message>
        <source>Longest wait for a batch (minutes)</source>
        <translation>一批最长等待（分钟）</translation>
    </message>
    <message>
        <source>Use the embedded model without a provider</source>
        <translation>没有服务商时使用内置模型</translation>
    </message>
    <message>
        <source>Key frames sent as images</source>
        <translation>以图片发送的关键帧</translation>
    </message>
    <message>
        <source>The model reads images</source>
        <translation>模型能读图片</translation>
    </message>
    <message>
        <source>How chat finds the topic</source>
        <translation>对话如何确定话题</translation>
    </message>
    <message>
        <source>Memories per type in a chat</source>
        <translation>对话中每类记忆的条数</translation>
    </message>
    <message>
        <source>Text embedding models</source>
        <translation>文本嵌入模型</translation>
    </message>
    <message>
        <source>Text embedder runs on</source>
        <translation>文本嵌入运行于</translation>
    </message>
    <message>
        <source>Ports to look for model servers on</source>
        <translation>查找模型服务器的端口</translation>
    </message>
    <message>
        <source>Grab the screen every (seconds)</source>
        <translation>截屏间隔（秒）</translation>
    </message>
    <message>
        <source>Slowest grab when idle (seconds)</source>
        <translation>空闲时最长截屏间隔（秒）</translation>
    </message>
    <message>
        <source>Keep a frame at least every (seconds)</source>
        <translation>至少每隔多久保留一帧（秒）</translation>
    </message>
    <message>
        <source>Monitors to capture</source>
        <translation>要截取的显示器</translation>
    </message>
    <message>
        <source>Never capture these apps</source>
        <translation>从不截取这些应用</translation>
    </message>
    <message>
        <source>Never capture windows titled</source>
        <translation>从不截取标题为以下内容的窗口</translation>
    </message>
    <message>
        <source>Redact what goes to a provider</source>
        <translation>发送给服务商的内容脱敏</translation>
    </message>
    <message>
        <source>Capture where windows cannot be identified</source>
        <translation>在无法识别窗口的环境中也截屏</translation>
    </message>
    <message>
        <source>Redact also for the embedded model</source>
        <translation>对内置模型也脱敏</translation>
    </message>
    <message>
        <source>Screenshot quality (1-100)</source>
        <translation>截图质量（1-100）</translation>
    </message>
    <message>
        <source>Disk space for screenshots (GB)</source>
        <translation>截图占用的磁盘空间（GB）</translation>
    </message>
    <message>
        <source>Image search model file</source>
        <translation>图像搜索模型文件</translation>
    </message>
    <message>
        <source>Image search architecture</source>
        <translation>图像搜索模型架构</translation>
    </message>
    <message>
        <source>Capture when the app starts</source>
        <translation>应用启动时开始截屏</translation>
    </message>
    <message>
        <source>Start at login</source>
        <translation>登录时启动</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>MCP server: reading tools only</source>
        <translation>MCP 服务器：仅提供读取工具</translation>
    </message>
    <message>
        <source>Shared database (PostgreSQL)</source>
        <translation>共享数据库（PostgreSQL）</translation>
    </message>
    <message>
        <source>First run done</source>
        <translation>已完成首次设置</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>its own words (no LLM call)</source>
        <translation>按消息本身的词语（不调用 LLM）</translation>
    </message>
    <message>
        <source>ask the LLM each time</source>
        <translation>每次询问 LLM</translation>
    </message>
    <message>
        <source>numpy (light)</source>
        <translation>numpy（轻量）</translation>
    </message>
    <message>
        <source>torch (fast in bulk)</source>
        <translation>torch（批量更快）</translation>
    </message>
    <message>
        <source>as the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>dark</source>
        <translation>深色</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Language model</source>
        <translation>语言模型</translation>
    </message>
    <message>
        <source>Capture &amp;&amp; privacy</source>
        <translation>截屏与隐私</translation>
    </message>
    <message>
        <source>Desktop</source>
        <translation>桌面</translation>
    </message>
    <message>
        <source>one per line</source>
        <translation>每行一项</translation>
    </message>
    <message>
        <source>Settings — mirix-app</source>
        <translation>设置 — mirix-app</translation>
    </message>
    <message>
        <source>(Set by {0}; change it there.)</source>
        <translation>（由 {0} 设定；请在那里修改。）</translation>
    </message>
    <message>
        <source>Measuring…</source>
        <translation>正在统计…</translation>
    </message>
    <message>
        <source>In use now</source>
        <translation>当前占用</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Close; changes not saved are discarded</source>
        <translation>关闭；未保存的更改将被丢弃</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>stored in the OS keyring; leave empty to keep</source>
        <translation>保存在系统密钥环中；留空则保持不变</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>Saved to the OS keyring for the provider of the model above; never to the settings file. Test connection saves the fields above and makes one small call.</source>
        <translation>为上面模型的服务商保存在系统密钥环中，绝不写入设置文件。“测试连接”会保存上面的字段，并发起一次小调用。</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用这个模型</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Chosen when the app starts: mirix-app --data-dir FOLDER, or the MIRIX_APP_HOME environment variable.</source>
        <translation>在应用启动时指定：mirix-app --data-dir 文件夹，或环境变量 MIRIX_APP_HOME。</translation>
    </message>
    <message>
        <source>screenshots {0:,.2f} GB of {1:,.0f} GB; database {2:,.1f} MB; {3:,.1f} MB in all</source>
        <translation>截图 {0:,.2f} GB / {1:,.0f} GB；数据库 {2:,.1f} MB；共 {3:,.1f} MB</translation>
    </message>
    <message numerus="yes">
        <source>%n unsaved change</source>
        <translation>
            <numerusform>%n 项更改未保存</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n unsaved changes</source>
        <translation>
            <numerusform>%n 项更改未保存</numerusform>
        </translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>没有改动。</translation>
    </message>
    <message>
        <source>Saved. The new language shows when mirix-app starts again.</source>
        <translation>已保存。新的语言将在 mirix-app 重新启动后生效。</translation>
    </message>
    <message>
        <source>Testing the connection…</source>
        <translation>正在测试连接…</translation>
    </message>
    <message>
        <source>{0} answered “{1}” in {2:.2f} s.</source>
        <translation>{0} 在 {2:.2f} 秒内回答了“{1}”。</translation>
    </message>
</context>
</TS>
