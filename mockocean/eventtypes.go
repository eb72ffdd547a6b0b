package mockocean

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// EventType is one documented value of the event_type parameter.
type EventType struct {
	// Value is the number sent in event_type.
	Value int `json:"value"`
	// Name is the Ocean Engine document's Chinese name.
	Name string `json:"name"`
	// English is our translation of Name.
	English string `json:"english"`
	// Definition is the Ocean Engine document's definition of the event
	// (定义), in Chinese, as written.
	Definition string `json:"definition"`
	// DefinitionEnglish is our English gloss of Definition.
	DefinitionEnglish string `json:"definition_english"`
}

// eventTypes is the documented event_type enum, in the Ocean Engine
// document's order of value. It is the only list of event types in the project.
var eventTypes = []EventType{
	{0, "激活", "activation", "用户下载安装完毕应用之后，在联网环境下打开应用", "the user opens the app online after downloading and installing it"},
	{1, "注册", "registration", "完成应用下载并且在联网环境打开应用后，完成个人账号/游戏角色注册信息提交", "after installing and opening the app online, the user submits a personal account or game character registration"},
	{2, "付费", "payment", "完成应用下载并且在联网环境打开应用后，应用内完成一笔付款", "after installing and opening the app online, the user completes a payment in the app"},
	{3, "表单", "form submitted", "完成表单填写并提交", "the user fills in and submits a form"},
	{4, "在线咨询", "online consultation", "用户点击在线咨询按钮", "the user clicks the online consultation button"},
	{5, "有效咨询", "effective consultation", "用户在消息咨询页面内完成至少一句消息对话", "the user exchanges at least one message on the consultation page"},
	{6, "次留", "next-day retention", "用户激活后次日联网环境下打开应用", "the user opens the app online on the day after activation"},
	{20, "app内下单", "in-app order", "在应用内完成一次订单提交，例如：点击“立即下单”", "the user submits an order in the app, e.g. taps \"order now\""},
	{21, "app内访问", "in-app visit", "用户成功打开访问应用", "the user opens and visits the app"},
	{22, "app内添加购物车", "in-app add to cart", "在应用内成功将商品加入购物车，例如：点击“加入购物车”", "the user adds a product to the cart in the app, e.g. taps \"add to cart\""},
	{23, "app内付费", "in-app purchase", "在应用内完成一次订单付费。目前主要是电商行业使用，常规建议使用付费事件", "the user pays for an order in the app; used mainly by e-commerce, the payment event (2) is the usual choice"},
	{25, "关键行为", "key action", "用户在应用内发生的关键行为/行为集合，若是关键行为集合一般是有关联的行为路径。（举例：某直播类客户以注册+发送弹幕作为关键行为转化目标，电商用注册+收藏商品+加入购物车+下单等）", "a key action, or set of actions, in the app; a set is usually a related path (e.g. a live-streaming app: registration + sending a bullet comment; e-commerce: registration + favourite + add to cart + order)"},
	{28, "授权", "authorization", "完成授权电商/支付/社交等账号登陆", "the user authorises a login with an e-commerce, payment or social account"},
	{29, "app内详情页到站uv", "in-app detail page UV", "成功访问应用内指定页面的UV数", "unique visitors reaching a given page in the app"},
	{127, "添加/选定支付信息，绑定支付宝、微信、银行卡等", "add payment info", "添加/选定支付信息，绑定支付宝、微信、银行卡等", "the user adds or selects payment information (binds Alipay, WeChat, a bank card …)"},
	{128, "加入收藏/心愿单", "add to favourites / wish list", "加入收藏/心愿单", "the user adds to favourites or a wish list"},
	{175, "立即购买", "buy now", "用户直接购买商品", "the user buys a product directly"},
	{176, "提交订单", "submit order", "比收藏意图更强，点击后跳转至支付页面", "a stronger intent than a favourite: the click leads to the payment page"},
	{179, "点击商品", "product click", "从多商品页点击某一商品，进入商品详情页，例如：点击某一商品，表达兴趣", "from a multi-product page the user clicks a product and enters its detail page, showing interest"},
	{202, "进入直播间", "enter live room", "进入直播间", "the user enters a live room"},
	{204, "直播间内点击关注按钮", "live room follow", "点击关注/收藏直播间", "the user follows or bookmarks the live room"},
	{205, "直播间内评论", "live room comment", "直播间内评论", "the user comments in a live room"},
	{206, "直播间内打赏", "live room tip", "直播间内打赏", "the user tips in a live room"},
	{207, "直播间内点击购物车按钮", "live room cart button", "直播间内点击购物车按钮", "the user clicks the cart button in a live room"},
	{208, "直播间内商品点击", "live room product click", "直播间内商品点击", "the user clicks a product in a live room"},
	{209, "直播间进入种草页跳转到第三方", "live room to third-party page", "直播间进入种草页跳转到第三方", "from a live room, the user goes to a recommendation page that leads to a third party"},
	{210, "直播-加购", "live add to cart", "由直播间路径加购", "the user adds to cart through the live room"},
	{211, "直播-下单", "live order", "由直播间路径下单", "the user orders through the live room"},
	{212, "添加/选定收货信息、电话", "add shipping info / phone", "添加/选定收货信息、电话", "the user adds or selects shipping information or a phone number"},
	{213, "领取优惠券", "claim coupon", "领取优惠券", "the user claims a coupon"},
	{214, "订单提交/确认收货", "order submitted / receipt confirmed", "提交订单，确认收货", "the user submits an order and confirms receipt"},
}

// EventTypes returns a copy of the documented event_type enum, in order
// of value.
func EventTypes() []EventType { return slices.Clone(eventTypes) }

var eventTypeByValue = func() map[int]EventType {
	m := make(map[int]EventType, len(eventTypes))
	for _, e := range eventTypes {
		m[e.Value] = e
	}
	return m
}()

// LookupEventType returns the documented event type with value v.
func LookupEventType(v int) (EventType, bool) {
	e, ok := eventTypeByValue[v]
	return e, ok
}

// EventTypesMarkdown renders the event types as a Markdown table.
func EventTypesMarkdown() string {
	var b strings.Builder
	b.WriteString("| event_type | name | meaning | definition (the document's) | in English |\n| --- | --- | --- | --- | --- |\n")
	for _, e := range eventTypes {
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", e.Value, e.Name, e.English, e.Definition, e.DefinitionEnglish)
	}
	return b.String()
}

// ParseExtraEventTypes reads a --extra-event-types value: a comma-separated
// list of VALUE=NAME entries (1001=trial_start,1002=plan_upgrade), event
// types agreed separately with the platform. An error names the entry and
// why; see CheckExtraEventTypes.
func ParseExtraEventTypes(s string) ([]EventType, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []EventType
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		v, name, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("entry %d %q: want VALUE=NAME (1001=trial_start)", i+1, entry)
		}
		v, name = strings.TrimSpace(v), strings.TrimSpace(name)
		n, ok := parseDigits(v)
		if !ok || n > 1<<31-1 {
			return nil, fmt.Errorf("entry %d %q: value %q is not a non-negative integer written with digits", i+1, entry, v)
		}
		out = append(out, EventType{Value: int(n), Name: name})
	}
	if err := CheckExtraEventTypes(out); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckExtraEventTypes reports the first entry of extra (Config.
// ExtraEventTypes) that cannot be used: a negative value, an empty name
// or one that is not UTF-8, a value or a name listed twice, a clash with
// a documented event type, or a name that is a v2 event name (v2
// requests send the name).
func CheckExtraEventTypes(extra []EventType) error {
	seen, names := map[int]int{}, map[string]int{}
	for i, e := range extra {
		where := fmt.Sprintf("entry %d (%d=%s)", i+1, e.Value, e.Name)
		switch {
		case e.Value < 0:
			return fmt.Errorf("%s: value %d is negative", where, e.Value)
		case e.Name == "":
			return fmt.Errorf("%s: the name is empty", where)
		case !utf8.ValidString(e.Name):
			return fmt.Errorf("%s: the name is not UTF-8", where)
		}
		if d, ok := eventTypeByValue[e.Value]; ok {
			return fmt.Errorf("%s: %d is a documented event type (%s %s)", where, e.Value, d.Name, d.English)
		}
		if j, dup := seen[e.Value]; dup {
			return fmt.Errorf("%s: value %d is already entry %d", where, e.Value, j+1)
		}
		if v2, ok := v2EventByName[e.Name]; ok {
			return fmt.Errorf("%s: %s is a v2 event name (%s): /api/v2/conversion would not know which is meant", where, e.Name, v2.English)
		}
		if j, dup := names[e.Name]; dup {
			return fmt.Errorf("%s: the name %s is already entry %d's: /api/v2/conversion, which sends names, would not know which is meant", where, e.Name, j+1)
		}
		seen[e.Value], names[e.Name] = i, i
	}
	return nil
}

// lookupEventType finds v in the documented enum, then in extra.
func lookupEventType(v int, extra []EventType) (EventType, bool) {
	if e, ok := eventTypeByValue[v]; ok {
		return e, true
	}
	for _, e := range extra {
		if e.Value == v {
			return e, true
		}
	}
	return EventType{}, false
}
