using System.Collections.Frozen;
using Fabric.Core.Events;

namespace Fabric.Core.Lifecycle;

/// <summary>One row of a lifecycle table: in <see cref="From"/>, trigger <see cref="On"/> by one of <see cref="By"/>
/// leads to <see cref="To"/> (which may be the same state).</summary>
public sealed record TransitionRule<TState, TTrigger>(TState From, TTrigger On, IReadOnlySet<ActorKind> By, TState To)
    where TState : struct, Enum
    where TTrigger : struct, Enum;

/// <summary>A lifecycle as a table, (state, trigger, actor kind) -&gt; next state, shared by nodes and instances. Pure:
/// a combination the table does not list is refused with the owner's reason for it; a listed one by an actor of another
/// kind is refused naming who may.</summary>
public sealed class TransitionTable<TState, TTrigger>
    where TState : struct, Enum
    where TTrigger : struct, Enum
{
    private readonly FrozenDictionary<(TState, TTrigger), TransitionRule<TState, TTrigger>> _table;
    private readonly Func<TState, TTrigger, string> _refusal;
    private readonly Func<TTrigger, string> _describe;

    /// <param name="rules">Every allowed transition; one rule per (state, trigger).</param>
    /// <param name="refusal">Why a (state, trigger) the table does not list is refused, in an operator's words.</param>
    /// <param name="describe">The trigger in words.</param>
    public TransitionTable(IReadOnlyList<TransitionRule<TState, TTrigger>> rules, Func<TState, TTrigger, string> refusal, Func<TTrigger, string> describe)
    {
        Rules = rules;
        _table = rules.ToFrozenDictionary(r => (r.From, r.On));
        _refusal = refusal;
        _describe = describe;
    }

    /// <summary>Every allowed transition.</summary>
    public IReadOnlyList<TransitionRule<TState, TTrigger>> Rules { get; }

    /// <summary>Whether <paramref name="trigger"/> by an actor of <paramref name="actor"/> kind applies in
    /// <paramref name="state"/>, the state it leads to (the same one when refused) and, when refused, why.</summary>
    public (bool Allowed, TState Next, string? Reason) Decide(TState state, TTrigger trigger, ActorKind actor)
    {
        if (!_table.TryGetValue((state, trigger), out var rule))
        {
            return (false, state, _refusal(state, trigger));
        }

        if (!rule.By.Contains(actor))
        {
            var who = string.Join(" or ", rule.By.Order().Select(k => k.ToWire()));
            return (false, state, $"{_describe(trigger)} is for {who}, not {actor.ToWire()}");
        }

        return (true, rule.To, null);
    }
}
