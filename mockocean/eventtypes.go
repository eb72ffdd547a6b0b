package mockocean

import (
	"fmt"
	"slices"
	"strings"
)

// EventType is one documented value of the event_type parameter.
type EventType struct {
	// Value is the number sent in event_type.
	Value int `json:"value"`
	// Name is the Ocean Engine document's Chinese name.
	Name string `json:"name"`
	// English is our translation of Name.
	English string `json:"english"`
}

// eventTypes is the documented event_type enum, in the Ocean Engine
// document's order of value. It is the only list of event types in the project.
var eventTypes = []EventType{
	{0, "激活", "activation"},
	{1, "注册", "registration"},
	{2, "付费", "payment"},
	{3, "表单", "form submitted"},
	{4, "在线咨询", "online consultation"},
	{5, "有效咨询", "effective consultation"},
	{6, "次留", "next-day retention"},
	{20, "app内下单", "in-app order"},
	{21, "app内访问", "in-app visit"},
	{22, "app内添加购物车", "in-app add to cart"},
	{23, "app内付费", "in-app purchase"},
	{25, "关键行为", "key action"},
	{28, "授权", "authorization"},
	{29, "app内详情页到站uv", "in-app detail page UV"},
	{127, "添加/选定支付信息，绑定支付宝、微信、银行卡等", "add payment info"},
	{128, "加入收藏/心愿单", "add to favourites / wish list"},
	{175, "立即购买", "buy now"},
	{176, "提交订单", "submit order"},
	{179, "点击商品", "product click"},
	{202, "进入直播间", "enter live room"},
	{204, "直播间内点击关注按钮", "live room follow"},
	{205, "直播间内评论", "live room comment"},
	{206, "直播间内打赏", "live room tip"},
	{207, "直播间内点击购物车按钮", "live room cart button"},
	{208, "直播间内商品点击", "live room product click"},
	{209, "直播间进入种草页跳转到第三方", "live room to third-party page"},
	{210, "直播-加购", "live add to cart"},
	{211, "直播-下单", "live order"},
	{212, "添加/选定收货信息、电话", "add shipping info / phone"},
	{213, "领取优惠券", "claim coupon"},
	{214, "订单提交/确认收货", "order submitted / receipt confirmed"},
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
	b.WriteString("| event_type | name | meaning |\n| --- | --- | --- |\n")
	for _, e := range eventTypes {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", e.Value, e.Name, e.English)
	}
	return b.String()
}
