package mockocean

// V2EventType is one value of the v2 API's event_type (a string).
type V2EventType struct {
	// Name is the string sent in event_type.
	Name string `json:"name"`
	// Legacy is the /track/activate/ event_type number the same event
	// has, where a source states it or the two names plainly match; -1
	// for none.
	Legacy int `json:"legacy"`
	// English says what the event is, translated from the SDK's comment.
	English string `json:"english"`
}

// v2EventTypes is the v2 event_type enum, in the order of the public Go
// SDK's enum file (bububa/oceanengine marketing-api/enum/
// conversion_event_type.go, 63 values; docs/platforms.md names it): the
// only list of v2 event types in the project.
var v2EventTypes = []V2EventType{
	{"phone", -1, "user tapped to make a call"},
	{"form", 3, "user filled in and submitted a form on the page"},
	{"active", 0, "user downloaded the app and activated"},
	{"active_register", 1, "user registered (phone/WeChat etc.) in the promoted app or landing page; the exact form depends on the business (franchise: register after download; games: activate + register; e-commerce: register)"},
	{"active_pay", 2, "user made at least one payment in the promoted app or landing page"},
	{"phone_confirm", -1, "smart phone: call confirmed"},
	{"phone_connect", -1, "smart phone: call connected"},
	{"phone_effective", -1, "smart phone: effective connection"},
	{"consult_effective", 5, "usually: user clicked \"online consult\" and had an effective IM consultation (≥1 message); the advertiser may define \"effective\""},
	{"in_app_order", 20, "user entered the e-commerce app and submitted an order"},
	{"in_app_order_balance", -1, "paid the balance (final payment)"},
	{"in_app_uv", 21, "user successfully opened and visited the app; usually measures the launch, not activity/product uv/pv"},
	{"in_app_cart", 22, "user added a product to the cart"},
	{"in_app_pay", 23, "user placed an order and paid"},
	{"add_to_cart", -1, "add-to-cart for traffic-driving e-commerce"},
	{"game_addiction", 25, "a key behaviour or set of behaviours in the promoted app or page, e.g. submitting a CV, real-estate viewing intent, key in-game actions"},
	{"customer_effective", 19, "a lead-submitting user went on to a valuable action (store visit booked, authorisation, payment …)"},
	{"coupon", 213, "user claimed a coupon"},
	{"in_app_detail_uv", 29, "browsed key pages (product page, activity page, article …); measures activity/product page uv/pv"},
	{"form_answer", -1, "after form submission, the phone follow-up was answered"},
	{"next_day_open", 6, "activated and opened the app on the next day"},
	{"deep_purchase", -1, "multiple in-game payments"},
	{"page_view", -1, "user loaded and reached the designated target page"},
	{"shopping", -1, "user completed a purchase"},
	{"wechat", -1, "user copied the WeChat id (guide to add WeChat followers)"},
	{"other", -1, "other"},
	{"multiple", -1, "multiple lead actions (form, call, consult, booking …)"},
	{"loan_completion", -1, "loan application completed"},
	{"pre_loan_credit", -1, "loan pre-credit"},
	{"loan_credit", -1, "loan credit granted"},
	{"lt_roi", -1, "ad-monetisation ROI"},
	{"loan", -1, "loan disbursed"},
	{"authorization", 28, "user completed authorised login (WeChat/Weibo/Taobao …)"},
	{"consult_clue", -1, "user left contact details during a consultation"},
	{"purchase_roi", -1, "user payment amount / payment cost"},
	{"notify_download", -1, "user clicked \"reserve game download\""},
	{"premium_payment", -1, "user bought insurance"},
	{"ug_roi", -1, "in-house (internal ads) ROI"},
	{"in_wechat_login", -1, "user entered the H5 page inside WeChat"},
	{"in_wechat_pay", -1, "user paid inside WeChat"},
	{"clue_confirm", 194, "lead confirmed on contact as self-submitted, or with initial intent"},
	{"clue_interflow", 195, "lead and sales established contact (added each other …), can follow up"},
	{"clue_high_intention", 196, "lead has strong intent or is in the deal process, not finished"},
	{"clue_pay_succeed", 218, "after successful form submission with contact details, user made an online payment"},
	{"arrival_lead", -1, "lead customer visited the store"},
	{"failed_lead", -1, "follow-up of an effective lead failed"},
	{"in_app_next_day_open", -1, "platform merchants' re-engagement: next-day retention after a silent old user's in-app visit; only as a deep goal combined with \"in-app visit\", not directly; a T+1 event estimated with the T+1 model"},
	{"withdraw_insurance", -1, "user surrendered shortly after the first insurance payment"},
	{"impression", -1, "one ad impression on the user's first activation day; report multiple times for multiple impressions"},
	{"ipu_qualify", -1, "first-day ad impressions reached the expected count (advertiser-defined, typically 5–20)"},
	{"lu_click", -1, "user clicked on the search result page"},
	{"lu_convert", -1, "user converted on the search result page"},
	{"withdraw_m2", -1, "user surrendered within 60 days of first insurance payment"},
	{"low_loan_credit", -1, "credit granted to a user judged sub-prime"},
	{"high_loan_credit", -1, "credit granted to a user judged high-value"},
	{"unfollow_in_wechat", -1, "unfollowed on day T after being added on WeChat"},
	{"ecom_cancel_order", 450, "e-commerce order cancelled"},
	{"ecom_successful_pay", 449, "e-commerce payment succeeded"},
	{"ecom_refund", 448, "e-commerce refund"},
	{"withdraw_iaa", -1, "renewal failed or short-term unsubscribe"},
	{"withdraw", -1, "unsubscribe from an existing telecom service"},
	{"supply_active", -1, "Pangle quick-app LTV: the launch (quick-app open) event, reported through this type so as not to disturb current delivery"},
	{"ltv0", -1, "Pangle quick-app LTV: the actual LTV-0 value, in fen (an integer), with the property ltv0"},
}
