<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>SettingsHelp</name>
        <message>
            <source>The LLM, as a litellm model name: openai/gpt-4o-mini, gemini/gemini-2.0-flash, anthropic/claude-3-5-haiku-latest, ollama/llama3.2, or openai/NAME with llm_api_base for any OpenAI-compatible server. Empty: no LLM (the rule-based floor writes the memories).</source>
            <extracomment>the setting llm_model</extracomment>
            <translation>语言模型，按 litellm 的模型名填写：openai/gpt-4o-mini、gemini/gemini-2.0-flash、anthropic/claude-3-5-haiku-latest、ollama/llama3.2，或 openai/名称 加上 llm_api_base，用于任何兼容 OpenAI 的服务器。留空：不用语言模型（由基于规则的兜底方式撰写记忆）。</translation>
        </message>
        <message>
            <source>Base URL of the provider, for Ollama (http://localhost:11434) or an OpenAI-compatible server (http://host:port/v1); empty for the provider's default. Never with a key or user:password in it (keys go to the OS keyring).</source>
            <extracomment>the setting llm_api_base</extracomment>
            <translation>服务商的基础 URL，用于 Ollama（http://localhost:11434）或兼容 OpenAI 的服务器（http://host:port/v1）；留空则使用服务商的默认地址。其中不能包含密钥或 user:password（密钥保存在系统密钥环中）。</translation>
        </message>
        <message>
            <source>Name of the environment variable holding the API key (e.g. OPENAI_API_KEY). Empty: the key is read from the OS keyring (service mirix-app, entry = provider). The variable's name, never the key itself.</source>
            <extracomment>the setting llm_api_key_env</extracomment>
            <translation>保存 API 密钥的环境变量名（例如 OPENAI_API_KEY）。留空：从系统密钥环读取密钥（服务 mirix-app，条目为服务商名）。这里填变量名，绝不是密钥本身。</translation>
        </message>
        <message>
            <source>Seconds to wait for one LLM reply before retrying.</source>
            <extracomment>the setting llm_timeout_s</extracomment>
            <translation>等待一次语言模型回复的秒数，超时后重试。</translation>
        </message>
        <message>
            <source>Observations per batch for the memory agents: with an LLM configured, imported messages are queued in batches of this many, absorbed by 'mirix-app absorb'.</source>
            <extracomment>the setting batch_items</extracomment>
            <translation>记忆代理每批处理的观察条数：配置了语言模型时，导入的消息按这个数量分批排队，由 “mirix-app absorb” 吸收。</translation>
        </message>
        <message>
            <source>A batch that has waited this many minutes goes to the memory agents even when it holds fewer than batch_items observations.</source>
            <extracomment>the setting batch_minutes</extracomment>
            <translation>一批等待了这么多分钟后，即使不足 batch_items 条观察，也会交给记忆代理。</translation>
        </message>
        <message>
            <source>With no llm_model configured, use the embedded SmolLM2-135M model (the [local] extra) when it is installed; off: the rule-based floor writes the memories.</source>
            <extracomment>the setting local_llm</extracomment>
            <translation>未配置 llm_model 时，若已安装内置的 SmolLM2-135M 模型（[local] 附加组件）就使用它；关闭：由基于规则的兜底方式撰写记忆。</translation>
        </message>
        <message>
            <source>Key frames of each screen batch sent as images with the meta-agent's call, only to a provider whose model litellm lists as vision-capable (never to the embedded model); the memory agents get text only. 0: off, no image leaves the machine. Images cannot be redacted like text: only the lines OCR read and redaction recognised (keys, passwords, e-mails, cards, phone numbers) are blacked out; anything else on the screen goes to the provider as it is.</source>
            <extracomment>the setting vision_key_frames</extracomment>
            <translation>每批屏幕内容中随元代理调用一起以图片发送的关键帧数，只发给 litellm 列为能读图片的服务商模型（从不发给内置模型）；记忆代理只收到文字。0：关闭，不会有图片离开这台电脑。图片无法像文字那样脱敏：只有 OCR 读出且被脱敏识别的行（密钥、密码、电子邮件、银行卡、电话号码）会被涂黑；屏幕上的其他内容按原样发给服务商。</translation>
        </message>
        <message>
            <source>Whether the provider's model takes images (for vision_key_frames): auto asks litellm's bundled model list; yes for a vision model it does not list (say gemini/gemini-2.0-flash, ollama/llava, or one behind an OpenAI-compatible server); no never sends images. The embedded model never gets images.</source>
            <extracomment>the setting llm_images</extracomment>
            <translation>服务商的模型能否读图片（用于 vision_key_frames）：auto 查询 litellm 自带的模型列表；yes 用于列表中没有的视觉模型（例如 gemini/gemini-2.0-flash、ollama/llava，或兼容 OpenAI 的服务器上的模型）；no 从不发送图片。内置模型从不接收图片。</translation>
        </message>
        <message>
            <source>How the chat finds the topic to search memories for: keywords (the message's own words, no LLM call), llm (one short LLM call per message), or auto (keywords, and the call only for a short follow-up that refers back).</source>
            <extracomment>the setting chat_topic</extracomment>
            <translation>对话如何确定用来搜索记忆的话题：keywords（用消息本身的词语，不调用语言模型）、llm（每条消息调用一次简短的语言模型）或 auto（用词语，只有指代前文的简短追问才调用）。</translation>
        </message>
        <message>
            <source>Memories of each type (and raw messages, and screenshots) put into the chat prompt.</source>
            <extracomment>the setting chat_memories_per_type</extracomment>
            <translation>放进对话提示词的每类记忆条数（原始消息和截图也一样）。</translation>
        </message>
        <message>
            <source>The text embedding model for meaning search: minilm+use+e5 (their similarities fused: English read by MiniLM, Chinese, Japanese and Korean by multilingual-e5, USE multilingual beside both and across languages), minilm+use (without e5: CJK read by USE alone, cheaper), minilm (all-MiniLM-L6-v2, English only) or use (USE multilingual v3 alone). After a change, run mirix-app reindex.</source>
            <extracomment>the setting embedder</extracomment>
            <translation>用于语义搜索的文本嵌入模型：minilm+use+e5（融合各模型的相似度：英文由 MiniLM 读取，中文、日文和韩文由 multilingual-e5 读取，USE 多语言模型同时参与并负责跨语言匹配）、minilm+use（不含 e5：中日韩文本仅由 USE 读取，开销更小）、minilm（all-MiniLM-L6-v2，仅英文）或 use（仅 USE multilingual v3）。更改后请运行 mirix-app reindex。</translation>
        </message>
        <message>
            <source>How all-MiniLM-L6-v2 runs: numpy (float32, no torch in the process: about 480 MB less memory), torch (sentence-transformers, bfloat16 where the CPU has it: 2.3-3x faster in bulk, for large imports), or auto (numpy).</source>
            <extracomment>the setting embedder_backend</extracomment>
            <translation>all-MiniLM-L6-v2 的运行方式：numpy（float32，进程中不载入 torch：内存少约 480 MB）、torch（sentence-transformers，CPU 支持时用 bfloat16：批量处理快 2.3-3 倍，适合大量导入）或 auto（numpy）。</translation>
        </message>
        <message>
            <source>Ports on this computer (127.0.0.1 only) where the first run, Settings and 'mirix-app llm list' look for a model server: Ollama (11434), LM Studio (1234), a llama.cpp server (8080) or vLLM (8000), through Ollama's own model list or the OpenAI-compatible /v1/models.</source>
            <extracomment>the setting local_server_ports</extracomment>
            <translation>首次设置、设置窗口和 “mirix-app llm list” 在本机（仅 127.0.0.1）查找模型服务器的端口：Ollama（11434）、LM Studio（1234）、llama.cpp 服务器（8080）或 vLLM（8000），通过 Ollama 自己的模型列表或兼容 OpenAI 的 /v1/models 查询。</translation>
        </message>
        <message>
            <source>Seconds between screen grabs while the screen changes.</source>
            <extracomment>the setting capture_interval_s</extracomment>
            <translation>屏幕变化时两次截屏之间的秒数。</translation>
        </message>
        <message>
            <source>Longest interval the capture backs off to while the screen is static or the user is idle; it returns to capture_interval_s at the first change.</source>
            <extracomment>the setting capture_max_interval_s</extracomment>
            <translation>屏幕静止或用户空闲时截屏间隔最多放宽到多久；屏幕一有变化就回到 capture_interval_s。</translation>
        </message>
        <message>
            <source>A frame is kept at least this often even when it looks like the previous one.</source>
            <extracomment>the setting capture_keyframe_s</extracomment>
            <translation>即使画面与上一帧看起来相同，也至少每隔这么久保留一帧。</translation>
        </message>
        <message>
            <source>Monitors to capture, by number (1 is the first); empty: all monitors.</source>
            <extracomment>the setting capture_monitors</extracomment>
            <translation>要截取的显示器，按编号（1 是第一台）；留空：所有显示器。</translation>
        </message>
        <message>
            <source>Applications never captured (case-insensitive names, WM_CLASS): while one is the active window nothing is grabbed; a visible one that is not active is blacked out of the frame.</source>
            <extracomment>the setting capture_exclude_apps</extracomment>
            <translation>从不截取的应用（不区分大小写的名称，即 WM_CLASS）：当其中之一是活动窗口时不截屏；可见但非活动的会在画面中被涂黑。</translation>
        </message>
        <message>
            <source>Window titles never captured: case-insensitive regular expressions searched in a window's title.</source>
            <extracomment>the setting capture_exclude_titles</extracomment>
            <translation>从不截取的窗口标题：不区分大小写的正则表达式，在窗口标题中查找。</translation>
        </message>
        <message>
            <source>Redact secrets and personal data (API keys, tokens, passwords, card numbers, e-mail addresses, phone numbers) from every text sent to an LLM provider: chat, imported messages, screen text and memories; what is stored stays as it was.</source>
            <extracomment>the setting redact_provider</extracomment>
            <translation>对发送给语言模型服务商的每段文字进行脱敏，去掉机密和个人信息（API 密钥、令牌、密码、银行卡号、电子邮件地址、电话号码）：对话、导入的消息、屏幕文字和记忆；已保存的内容保持原样。</translation>
        </message>
        <message>
            <source>Capture also where mirix-app cannot tell which window is shown (GNOME or KDE on Wayland without a supported window interface, macOS, Windows): the app and title rules cannot apply there, so capture waits for this explicit choice; screen text is still redacted.</source>
            <extracomment>the setting capture_without_window_rules</extracomment>
            <translation>在 mirix-app 无法判断显示的是哪个窗口的环境中也截屏（没有受支持窗口接口的 Wayland 上的 GNOME 或 KDE、macOS、Windows）：应用和标题规则在那里无法生效，所以要等你明确选择后才截屏；屏幕文字仍会脱敏。</translation>
        </message>
        <message>
            <source>Redact the same also from what the embedded local model reads (it runs in this process: nothing leaves the machine).</source>
            <extracomment>the setting redact_local</extracomment>
            <translation>对内置本地模型读取的内容也做同样的脱敏（它在本进程中运行：任何数据都不会离开这台电脑）。</translation>
        </message>
        <message>
            <source>WebP quality (1-100) of stored screenshots.</source>
            <extracomment>the setting screenshot_quality</extracomment>
            <translation>保存截图的 WebP 质量（1-100）。</translation>
        </message>
        <message>
            <source>Disk space for screenshot image files; past it the oldest images are deleted (their text, embeddings and memories stay).</source>
            <extracomment>the setting storage_budget_gb</extracomment>
            <translation>截图图片文件可占用的磁盘空间；超出后删除最旧的图片（其文字、嵌入向量和记忆会保留）。</translation>
        </message>
        <message>
            <source>Where the memory lives: empty for the SQLite database in the data folder, or a PostgreSQL server with pgvector that several devices share, as postgresql://USER@HOST:5432/DATABASE (a socket: ?host=/run/postgresql). A password in the URL goes to the OS keyring (or DATA_DIR/pgpass, 0600, where there is none), never into settings.json. See 'Sharing one memory between devices'.</source>
            <extracomment>the setting database_url</extracomment>
            <translation>记忆存放的位置：留空则使用数据文件夹中的 SQLite 数据库；或填写多台设备共享的、带 pgvector 的 PostgreSQL 服务器，格式为 postgresql://USER@HOST:5432/DATABASE（使用套接字：?host=/run/postgresql）。URL 中的密码会存入系统密钥环（没有密钥环时存入 DATA_DIR/pgpass，权限 0600），绝不写入 settings.json。参见“Sharing one memory between devices”。</translation>
        </message>
        <message>
            <source>Path of an open_clip checkpoint for text-to-image screenshot search; empty: image search is unavailable and search uses the screen text.</source>
            <extracomment>the setting clip_checkpoint</extracomment>
            <translation>用于以文字搜索截图图像的 open_clip 检查点文件路径；留空：不提供图像搜索，搜索使用屏幕文字。</translation>
        </message>
        <message>
            <source>The open_clip architecture of clip_checkpoint.</source>
            <extracomment>the setting clip_model</extracomment>
            <translation>clip_checkpoint 对应的 open_clip 架构。</translation>
        </message>
        <message>
            <source>The MCP server (mirix-app mcp) offers other AI tools only its reading tools: no tool may add, edit or delete a memory (as with mirix-app mcp --read-only).</source>
            <extracomment>the setting mcp_read_only</extracomment>
            <translation>MCP 服务器（mirix-app mcp）只向其他 AI 工具提供读取工具：任何工具都不能添加、编辑或删除记忆（与 mirix-app mcp --read-only 相同）。</translation>
        </message>
        <message>
            <source>Start capturing the screen when the desktop app starts (pause it from the tray).</source>
            <extracomment>the setting capture_on_start</extracomment>
            <translation>桌面应用启动时开始截屏（可从托盘暂停）。</translation>
        </message>
        <message>
            <source>Start the desktop app when you log in (writes an XDG autostart entry on Linux).</source>
            <extracomment>the setting start_at_login</extracomment>
            <translation>登录时启动桌面应用（在 Linux 上写入一个 XDG 自启动条目）。</translation>
        </message>
        <message>
            <source>The desktop app's colours: system (light or dark as the desktop is set, following its changes), light or dark.</source>
            <extracomment>the setting theme</extracomment>
            <translation>桌面应用的配色：system（跟随桌面的浅色或深色设置，并随其变化）、light 或 dark。</translation>
        </message>
        <message>
            <source>The desktop app's language: system (Simplified Chinese where the system's language is, English otherwise), en or zh_CN; used from the next start.</source>
            <extracomment>the setting language</extracomment>
            <translation>桌面应用的语言：system（系统语言为简体中文时用中文，否则用英文）、en 或 zh_CN；下次启动时生效。</translation>
        </message>
        <message>
            <source>Set when the first-run dialog has been completed; false opens it at the next start.</source>
            <extracomment>the setting first_run_done</extracomment>
            <translation>完成首次设置对话框后设定；为 false 时下次启动会再次打开它。</translation>
        </message>
    </context>
</TS>
