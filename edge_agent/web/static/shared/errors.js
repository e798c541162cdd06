// Every refusal in words for the person at the screen. The agent writes its own sentence
// in English (`error`); in Chinese we say the same by its stable `code` (docs/mqtt.md).
import { lang, t } from "./i18n.js";

const WORDS = {
  // Local: the request never reached the agent, or its answer never came back.
  not_connected: ["未连接到叫号系统，请等待连接恢复后再试", "Not connected to the queue system: wait for the connection to return, then try again"],
  timeout: ["叫号系统没有应答，请稍后再试；如仍无应答请联系技术人员", "No answer from the queue system: try again shortly, and call the technician if it persists"],
  not_allowed: ["此账号无权执行该操作，请用正确的岗位账号登录", "This account may not do that: sign in with your role's account"],
  not_sent: ["请求未能发出，请重试", "The request could not be sent: try again"],
  // The agent's refusals.
  counter_closed: ["窗口未开启：请先开启窗口再叫号", "The counter is closed: open it before calling a ticket"],
  counter_busy: ["窗口仍在服务当前客户：请先办结、过号或转移", "The counter is still serving a customer: complete, mark no-show or transfer first"],
  counter_already_open: ["窗口已经是开启状态", "The counter is already open"],
  counter_already_closed: ["窗口已经是关闭状态", "The counter is already closed"],
  unknown_counter: ["没有这个窗口，请重新选择窗口", "There is no such counter: choose the counter again"],
  queue_empty: ["当前没有等候的客户", "Nobody is waiting for this counter"],
  store_full: ["叫号系统磁盘已满，暂时无法记录，请联系技术人员", "The queue system's disk is full and nothing can be recorded: call the technician"],
  store_read_only: ["叫号系统磁盘变为只读，暂时无法记录，请联系技术人员", "The queue system's disk has become read-only: call the technician"],
  branch_closed: ["本网点现在不营业，不能取号", "The branch is closed now: no tickets are issued"],
  nothing_to_recall: ["没有可重呼的号码：请先叫号", "Nothing to recall: call a ticket first"],
  nothing_to_complete: ["没有正在办理的号码", "No ticket is being served here"],
  nothing_to_mark_no_show: ["没有可标记过号的号码", "No ticket to mark as no-show"],
  nothing_to_transfer: ["没有可转移的号码", "No ticket to transfer"],
  not_called: ["该号码不在窗口办理中，只能转移已叫到的号码", "That ticket is not at a counter: only a called ticket can be transferred"],
  same_service: ["已经是这个业务，请选择其他业务", "The ticket is already in that service: choose another one"],
  stale_ticket: ["屏幕信息已过期：窗口正在服务其他号码，请核对后重试", "This screen was out of date: the counter is serving another ticket; check and try again"],
  unknown_ticket: ["找不到这个号码", "There is no such ticket"],
  unknown_service: ["没有这个业务", "There is no such service"],
  service_not_offered: ["该客户不能办理此业务", "That service is not offered to this customer"],
  service_not_served: ["本网点没有窗口办理此业务", "No counter in this branch serves that service"],
  unknown_alert: ["找不到这条提醒，可能属于其他网点", "There is no such alert; it may belong to another branch"],
  alert_already_acknowledged: ["这条提醒已由其他同事处理", "A colleague has already answered this alert"],
  too_large: ["请求内容过长，请联系技术人员", "The request was too large: call the technician"],
  not_utf8: ["请求编码有误，请联系技术人员", "The request was not UTF-8 text: call the technician"],
  bad_json: ["请求格式有误，请联系技术人员", "The request was not valid JSON: call the technician"],
  not_an_object: ["请求格式有误，请联系技术人员", "The request was not a JSON object: call the technician"],
  unknown_op: ["叫号系统不认识这个操作，请刷新页面；如仍出现请联系技术人员", "The queue system does not know this operation: reload the page, and call the technician if it persists"],
  transaction_reused: ["请求编号重复，请重试", "That request id was already used: try again"],
  invalid: ["请求内容有误", "The request was not valid"],
  internal: ["叫号系统内部错误，请联系技术人员", "The queue system failed: call the technician"],
  // Staff sign-in.
  sign_in_required: ["请先用工号和密码登录", "Sign in with your staff id and PIN first"],
  sign_in_refused: ["工号或密码不正确", "The staff id or the PIN is wrong"],
  staff_locked: ["密码错误次数过多，工号已暂时锁定；忘记密码请找网点负责人", "Too many wrong PINs: the staff id is locked for a while. Ask the branch head if you forgot the PIN"],
  signed_out: ["您已退出登录（长时间未操作或已在别处登录），请重新登录", "You were signed out (idle, or signed in elsewhere): sign in again"],
  wrong_role: ["您的岗位不能在此操作", "Your role cannot do this here"],
  wrong_counter: ["您登录的是其他窗口，请在本窗口重新登录", "You are signed in at another counter: sign in at this one"],
  // Referrals and prospects.
  unknown_trigger: ["转介理由不在清单中，请刷新页面", "That reason is not on the list: reload the page"],
  unknown_rm: ["没有这位客户经理，请重新选择或转介至客户经理组", "There is no such relationship manager: choose again, or refer to the RM pool"],
  ticket_finished: ["该号码已办结，客户离开前才能转介", "That ticket is finished: refer customers while they are still here"],
  already_referred: ["该客户今天已转介过", "This customer has already been referred today"],
  unknown_referral: ["找不到这条转介", "There is no such referral"],
  not_your_referral: ["这条转介属于其他客户经理", "This referral belongs to another relationship manager"],
  referral_taken: ["其他客户经理已接受这条转介", "Another relationship manager has already accepted this referral"],
  referral_not_accepted: ["请先接受转介，再记录结果", "Accept the referral before recording what came of it"],
  outcome_already_recorded: ["这条转介的结果已经记录", "This referral's outcome is already recorded"],
  outcome_incomplete: ["结果信息不完整：成交请填产品，跟进请填日期和方式", "Incomplete: a sale needs the product, a follow-up its date and channel"],
  consent_required: ["只有客户同意时才能记录联系电话", "A phone number is kept only with the customer's consent"],
  no_card: ["客户未刷卡，无法标记为潜在客户", "The customer did not swipe a card: nothing to recognise next time"],
  already_vip: ["该客户已是中高端客户", "This customer is already a VIP customer"],
  not_a_prospect: ["该客户未被标记为潜在客户", "This customer is not marked as a prospect"],
  // Promotions.
  bad_image: ["图片不是 PNG 或 JPEG，或已损坏", "The picture is not a PNG or JPEG, or it is damaged"],
  image_too_large: ["图片太大，请缩小后再上传", "The picture is too large: make it smaller and try again"],
  bad_dates: ["日期有误：结束日期不能早于开始日期或今天", "Check the dates: the end cannot be before the start or today"],
  too_many_promotions: ["同时发布的营销信息已达上限，请先撤下一条", "Too many promotions at once: withdraw one first"],
  unknown_promotion: ["找不到这条营销信息", "There is no such promotion"],
  // Ratings, service alerts and complaints.
  unknown_prompt: ["评价已过期，请稍候", "This rating is out of date: please wait"],
  prompt_closed: ["本次评价已结束，谢谢", "This rating has closed: thank you"],
  score_out_of_range: ["评分超出范围", "That score is not on the scale"],
  unknown_reason: ["评价原因不在清单中，请刷新页面", "That reason is not on the list: reload the page"],
  unknown_service_alert: ["找不到这条服务提醒", "There is no such service alert"],
  service_alert_already_acknowledged: ["这条服务提醒已由同事处理", "A colleague has already answered this alert"],
  unknown_category: ["投诉类别不在清单中，请刷新页面", "That category is not on the list: reload the page"],
  unknown_complaint: ["找不到这条投诉", "There is no such complaint"],
  complaint_closed: ["这条投诉已经办结", "This complaint is already resolved"],
  complaint_step_refused: ["投诉当前状态下不能这样处理：请先受理", "Not possible in the complaint's current state: acknowledge it first"],
  unknown_booking: ["今天没有这个预约码", "There is no booking with this code today"],
  booking_not_yet_here: ["该预约尚未同步到本网点", "This booking has not reached the branch yet"],
  booking_not_ours: ["该预约属于其他网点", "This booking is for another branch"],
  booking_forged: ["这不是本行的预约凭证", "This is not one of the bank's booking passes"],
  booking_expired: ["该预约已过期", "This booking is for an earlier day"],
  booking_cancelled: ["该预约已取消", "This booking was cancelled"],
  booking_used: ["该预约已使用", "This booking has already been used"],
  bookings_never_synced: ["本网点尚未收到预约数据", "The branch has no bookings from head office yet"],
  too_early: ["还未到签到时间", "Too early to check in"],
};

export function explain(answer) {
  const words = WORDS[answer.code];
  if (lang() === "en" && answer.error) return answer.error;
  if (words) return t(words);
  return answer.error || t(["操作未完成（{code}）", "Not done ({code})"], { code: answer.code || "?" });
}
