#include "mamori/synth/engine.h"

namespace mamori::synth {

Engine::Engine(const SynthContext& ctx, PacketSink& sink, Truth* truth, PacketObserver* observer)
    : ctx_(ctx), sink_(sink), truth_(truth), observer_(observer) {}

void Engine::push(std::int64_t time, std::uint32_t slot, bool scenario) {
  heap_.push({time, order_++, slot, scenario});
}

void Engine::add_scenario(std::unique_ptr<Scenario> scenario) {
  scenarios_.push_back(std::move(scenario));
  const auto slot = static_cast<std::uint32_t>(scenarios_.size() - 1);
  if (const auto start = scenarios_.back()->next_start()) push(start->nanos, slot, true);
}

void Engine::add(std::unique_ptr<Flow> flow, FlowFacts facts) {
  if (flow->done()) return;
  ++flows_;
  std::int64_t truth_index = -1;
  std::size_t benign_id = 0;
  if (truth_) {
    auto rules = ctx_.rules.match(facts);
    if (!rules.empty() || facts.attack || facts.decoy) {
      const IpAddress& initiator = facts.initiator_is_server ? facts.server : facts.client;
      const IpAddress& responder = facts.initiator_is_server ? facts.client : facts.server;
      std::string category(
          category_name(ctx_.plan.is_domestic(initiator), ctx_.plan.is_domestic(responder)));
      truth_index = static_cast<std::int64_t>(
          truth_->add(std::move(facts), std::move(rules), std::move(category)));
    } else {
      benign_id = truth_->add_benign(facts);
    }
  }
  std::uint32_t slot = 0;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(live_.size());
    live_.emplace_back();
  }
  const std::int64_t time = flow->next_time().nanos;
  live_[slot] = {std::move(flow), truth_index, benign_id};
  push(time, slot, false);
}

Result<void> Engine::run() {
  while (!heap_.empty()) {
    const Item item = heap_.top();
    heap_.pop();
    if (item.scenario) {
      Scenario& scenario = *scenarios_[item.slot];
      scenario.start_next(*this);
      if (const auto next = scenario.next_start()) push(next->nanos, item.slot, true);
      continue;
    }
    Live& live = live_[item.slot];
    const auto frame = live.flow->emit(builder_);
    // Flows never schedule into the past; the clamp only guards the file's time order.
    Timestamp time{item.time};
    if (time < last_) time = last_;
    last_ = time;
    if (auto written = sink_.write(time, frame); !written) return written;
    ++packets_;
    if (truth_) {
      if (live.truth >= 0) {
        truth_->add_packet(static_cast<std::size_t>(live.truth), frame.size(), time);
        if (observer_) observer_->on_packet(static_cast<std::size_t>(live.truth), time, frame);
      } else {
        truth_->add_benign_packet(live.benign, frame.size());
      }
    }
    if (live.flow->done()) {
      live.flow.reset();
      free_.push_back(item.slot);
    } else {
      push(live.flow->next_time().nanos, item.slot, false);
    }
  }
  return {};
}

}  // namespace mamori::synth
