using Relay.Mapping;
using Relay.Targets;

namespace Relay.Sync;

public sealed record PushResult(int Ok, int Skipped, int Failed, IReadOnlyList<string> Errors)
{
    public static readonly PushResult Empty = new(0, 0, 0, []);
}

/// <summary>
/// Shop records → target: map, upsert (batched by the target), then consent through
/// <see cref="ConsentPolicy"/>, remembering per contact what the target now has. Shared by the
/// webhook forwarders (live, one record at a time, failures thrown to the pipeline) and the full
/// sync (resync, a page at a time, failures counted and the page carries on). The first time the
/// relay meets a contact it asks the target what it already holds (<see cref="ITarget.ReadConsentAsync"/>),
/// before writing anything: its ledger knowing nothing is no proof that the target knows nothing.
/// </summary>
public sealed class ContactSync(ContactLedger ledger, EchoSuppression echoes, ActivityLog activity, Orders.PurchaseFigures purchases, TimeProvider time, ILogger<ContactSync> logger)
{
    /// <summary>
    /// A subscriber the relay itself opted out (pull-back) shows up in a shop's list of changes: the target
    /// already has that opt-out, so a reconciliation does not send it back, whether the echo mark is still
    /// there or the ledger knows both sides agree.
    /// </summary>
    public async Task<bool> IsOwnOptOutAsync(SyncContext ctx, ShopRecord record)
    {
        if (record.Consent is not { State: ConsentState.Unsubscribed } || record.Email is not { } email) return false;
        if (await echoes.IsEchoAsync(ctx.ShopKey, email, ConsentState.Unsubscribed)) return true;
        var entry = await ledger.FindByRecordAsync(ctx.Ledger, record.Kind, record.Id) ?? await ledger.FindByEmailAsync(ctx.Ledger, email);
        return entry is { Shop.State: ConsentState.Unsubscribed, Target.State: ConsentState.Unsubscribed };
    }

    public async Task<PushResult> PushAsync(SyncContext ctx, IReadOnlyList<ShopRecord> records, SyncMode mode, string? eventId, CancellationToken ct)
    {
        var live = mode == SyncMode.Live;
        var settings = ctx.Settings;
        int skipped = 0, failed = 0;
        var errors = new List<string>();
        var work = new List<Work>();
        records = await LinkSubscribersToCustomersAsync(ctx, records, ct);
        if (Orders.PurchaseFigures.Mapped(settings))
        {
            var figures = await purchases.FieldsOfAsync(ctx.ShopKey, records.Select(r => r.Email).OfType<string>().ToList());
            records = records.Select(r => Orders.PurchaseFigures.WithFigures(r, figures)).ToList();
        }
        // One ledger read for the whole batch: a full-sync page is hundreds of contacts.
        var keys = records.Select(r => ContactMapper.KeyOf(r, settings.UniqueKey)).ToList();
        var known = await ledger.GetManyAsync(ctx.Ledger, keys.OfType<string>().ToList());

        for (var r = 0; r < records.Count; r++)
        {
            var record = records[r];
            if (record.Kind == ShopRecordKind.Subscriber && keys[r] is null)
            {
                // Not a failure: a newsletter-only subscriber simply has no customer number.
                skipped++;
                if (live) await LogAsync(ctx, "consent", ActivityOutcome.Skipped,
                    $"A newsletter subscriber without a customer account has no {settings.UniqueKey}, the unique key; choose e-mail as unique key to sync such subscribers.", record.Email, eventId);
                continue;
            }
            var mapping = record.Kind == ShopRecordKind.Customer ? settings.Customers : settings.Subscribers;
            Contact contact;
            ContactEntry? entry = null;
            try
            {
                var key = keys[r] ?? throw new MappingException(
                    $"The {record.Kind.ToString().ToLowerInvariant()} has no value for the unique key ({settings.UniqueKey}).");
                entry = known.GetValueOrDefault(key) ?? new ContactEntry { Key = key, Email = ContactMapper.NormalizeEmail(record.Email) };
                if (live && record.Consent is { } consent && record.Email is { } email && await echoes.IsEchoAsync(ctx.ShopKey, email, consent.State))
                {
                    skipped++;
                    await LogAsync(ctx, "consent", ActivityOutcome.Skipped, "The shop's webhook echoes the relay's own change; not sent back.", record.Email, eventId);
                    continue;
                }
                contact = ContactMapper.Map(record, mapping, settings.UniqueKey, isCreate: !entry.KnownInTarget);
            }
            catch (MappingException e) when (!live)
            {
                failed++;
                errors.Add(e.Message);
                continue;
            }
            work.Add(new Work(record, entry, contact, entry.KnownInTarget, FirstContact: !known.ContainsKey(entry.Key)));
        }
        if (work.Count == 0) return new PushResult(0, skipped, failed, errors);

        await LearnTargetConsentAsync(ctx, work, mode, ct);

        var outcomes = await ctx.Target.UpsertContactsAsync(work.Select(w => w.Contact).ToList(), ct);
        var ok = 0;
        string? rejected = null, retry = null;
        // Written in one step at the end, and also when a consent write throws halfway: what the target
        // already has is then remembered, as it was when every contact was saved on its own.
        var saves = new List<(ContactEntry, ShopRecord?)>(work.Count);
        try
        {
            for (var i = 0; i < work.Count; i++)
            {
                var (record, entry, contact, knownBefore, _) = work[i];
                var outcome = i < outcomes.Count ? outcomes[i] : new UpsertOutcome(contact.Key, UpsertStatus.RetryLater, "NO_RESULT", "The target returned no result.");
                if (outcome.Status != UpsertStatus.Ok)
                {
                    failed++;
                    var why = $"{outcome.Code}: {outcome.Message}".Trim(' ', ':');
                    errors.Add(why);
                    if (outcome.Status == UpsertStatus.Rejected) rejected ??= why; else retry ??= why;
                    if (live) await LogAsync(ctx, "contact", ActivityOutcome.Failed, $"{ctx.TargetKind} refused the contact: {why}", record.Email, eventId);
                    continue;
                }

                entry = entry with { KnownInTarget = true, CreatedByRelay = entry.CreatedByRelay || !knownBefore, Email = contact.Email ?? entry.Email };
                var message = $"{(knownBefore ? "Updated" : "Created")} in {ctx.TargetKind}.";
                if (record.Consent is { } shopConsent)
                {
                    var consent = ConsentPolicy.SinceKnown(entry.Shop, shopConsent);
                    var decision = Decide(ctx, consent, entry, knownBefore, mode);
                    if (decision.Write is { } state)
                    {
                        try
                        {
                            await ctx.Target.SetConsentAsync(new ConsentChange
                            {
                                Key = contact.Key,
                                Email = contact.Email,
                                State = state,
                                At = consent.At,
                                Source = "shop",
                            }, ct);
                            entry = entry with { Target = new ConsentSide(state, time.GetUtcNow()) };
                            message += $" Newsletter: {state.ToString().ToLowerInvariant()}.";
                        }
                        catch (TargetPermanentException e) when (!live)
                        {
                            failed++;
                            errors.Add(e.Message);
                            saves.Add((entry, record));
                            continue;
                        }
                    }
                    else message += $" Newsletter unchanged: {decision.Reason}";
                    if (decision.Write is null && TargetOptOutStandsAgainst(consent, entry, ctx.OrderWindow) && record.Email is { } shopEmail)
                    {
                        // Learned at first contact: the opt-out the pull-back would have brought, had its window reached back far enough.
                        try
                        {
                            var why = entry.HardBouncedAt is not null ? $"Hard bounce in {ctx.TargetKind}" : $"Unsubscribed in {ctx.TargetKind} before the relay was connected";
                            await OptOutInShopAsync(ctx, shopEmail, why, eventId, ct);
                            entry = entry with { Shop = new ConsentSide(ConsentState.Unsubscribed, time.GetUtcNow()) };
                            message += " Opted out in the shop.";
                        }
                        catch (Exception e) when (!live && SyncFailures.IsPermanent(e))
                        {
                            // Remembered without the shop side: the next resync tries the opt-out again.
                            failed++;
                            errors.Add(SyncFailures.Describe(e));
                            saves.Add((entry, record));
                            continue;
                        }
                    }
                    else entry = entry with { Shop = new ConsentSide(consent.State, consent.At) };
                }
                saves.Add((entry, record));
                ok++;
                if (live) await LogAsync(ctx, record.Consent is null ? "contact" : "consent", ActivityOutcome.Ok, message, record.Email, eventId);
            }
        }
        finally
        {
            if (saves.Count > 0) await ledger.SaveManyAsync(ctx.Ledger, saves);
        }

        // A live event that the target refused is a dead letter with the target's reason; one it
        // could not take now goes back to the retry schedule. The contacts that did go through
        // are written again on retry, which upserts make harmless.
        if (live && rejected is not null) throw new TargetPermanentException($"{ctx.TargetKind} refused the contact: {rejected}");
        if (live && retry is not null) throw new TargetTransientException($"{ctx.TargetKind} could not take the contact now: {retry}");
        return new PushResult(ok, skipped, failed, errors);
    }

    /// <summary>
    /// Subscribers are the same people as customers: when the unique key is a customer field, a
    /// subscriber takes it from the customer with its address, so both land on one target contact.
    /// </summary>
    private static async Task<IReadOnlyList<ShopRecord>> LinkSubscribersToCustomersAsync(SyncContext ctx, IReadOnlyList<ShopRecord> records, CancellationToken ct)
    {
        if (ctx.Settings.UniqueKey == UniqueKeyKind.Email) return records;
        var emails = records.Where(r => r.Kind == ShopRecordKind.Subscriber && r.Email is not null)
            // As typed and lower-cased: shops compare addresses with their database's collation, which need not ignore case.
            .SelectMany(r => new[] { r.Email!.Trim(), r.Email!.Trim().ToLowerInvariant() }).Distinct(StringComparer.Ordinal).ToList();
        if (emails.Count == 0) return records;
        var customers = (await ctx.Shop.FindCustomersByEmailAsync(ctx.ShopKey, emails, ct))
            .Where(c => c.Email is not null)
            .GroupBy(c => c.Email!.Trim().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.First());
        return records.Select(r =>
        {
            if (r.Kind != ShopRecordKind.Subscriber || r.Email is null || !customers.TryGetValue(r.Email.Trim().ToLowerInvariant(), out var customer)) return r;
            var fields = new Dictionary<string, string?>(r.Fields, StringComparer.Ordinal)
            {
                [ShopFields.CustomerNumber] = customer.Field(ShopFields.CustomerNumber),
                [ShopFields.Id] = customer.Id,
            };
            return r with { Fields = fields };
        }).ToList();
    }

    private static ConsentDecision Decide(SyncContext ctx, ShopConsent consent, ContactEntry entry, bool knownBefore, SyncMode mode) =>
        ConsentPolicy.Decide(new ConsentFacts(consent, knownBefore && !entry.CreatedByRelay, entry.Target, mode, ctx.OrderWindow));

    /// <summary>
    /// Asks the target, in one batched read before anything is written, what it holds for two kinds of
    /// contact. (1) The first meeting (no ledger entry). Customers too, although they carry no consent:
    /// a contact the customer phase of a full sync wrote would otherwise count as created by the relay,
    /// and the subscriber phase would give it the shop's status over an opt-out it had in the target. A
    /// contact the target has is an existing one (it keeps its status in a resync; its create-only
    /// fields are not written); an opt-out or hard bounce there is the target's known state, which
    /// <see cref="ConsentPolicy"/> then keeps. (2) A contact about to be subscribed: the ledger knows
    /// the target only as of the last pull, and an unsubscribe there since then (a delayed webhook of an
    /// older opt-in, a confirmation arriving after a mailing's unsubscribe link) must not be overwritten.
    /// An opt-out the ledger did not know joins it with the target's time. Not asked again: a contact a
    /// resync gives its first status (the customer phase of a full sync just created it, and no consent
    /// was ever written), so a full-sync page costs no extra reads.
    /// </summary>
    private static async Task LearnTargetConsentAsync(SyncContext ctx, List<Work> work, SyncMode mode, CancellationToken ct)
    {
        var subscribing = work.Where(w => !w.FirstContact && (mode == SyncMode.Live || w.Entry.Target is not null) && w.Record.Consent is { } consent
            && Decide(ctx, ConsentPolicy.SinceKnown(w.Entry.Shop, consent), w.Entry, w.KnownBefore, mode).Write == ConsentState.Subscribed).ToList();
        var asked = work.Where(w => w.FirstContact).Concat(subscribing).Select(w => w.Contact).DistinctBy(c => c.Key).ToList();
        if (asked.Count == 0) return;
        var held = await ctx.Target.ReadConsentAsync(asked, ct);
        if (held.Count == 0) return;
        for (var i = 0; i < work.Count; i++)
        {
            var w = work[i];
            if (!held.TryGetValue(w.Contact.Key, out var consent)) continue;
            var target = consent.HardBouncedAt is { } bounced
                ? new ConsentSide(ConsentState.Unsubscribed, bounced > consent.At ? bounced : consent.At)
                : new ConsentSide(consent.State, consent.At);
            if (!w.FirstContact)
            {
                // An opt-out the ledger already knew keeps its time (a target that gives no times stamps every read "now").
                if (target.State == ConsentState.Unsubscribed && w.Entry.Target?.State != ConsentState.Unsubscribed)
                    work[i] = w with { Entry = w.Entry with { Target = target, HardBouncedAt = consent.HardBouncedAt ?? w.Entry.HardBouncedAt } };
                continue;
            }
            var mapping = w.Record.Kind == ShopRecordKind.Customer ? ctx.Settings.Customers : ctx.Settings.Subscribers;
            work[i] = w with
            {
                KnownBefore = true,
                Entry = w.Entry with { KnownInTarget = true, CreatedByRelay = false, Target = target, HardBouncedAt = consent.HardBouncedAt },
                Contact = ContactMapper.Map(w.Record, mapping, ctx.Settings.UniqueKey, isCreate: false),
            };
        }
    }

    /// <summary>
    /// Whether the target's opt-out, learned at first contact, goes into the shop as pull-back would
    /// write it: the relay has not seen this contact's shop consent before (after that, pull-back owns
    /// it), the shop still mails the address, and the shop's opt-in is not clearly newer than the opt-out
    /// (<see cref="ConsentPolicy.OptInIsClearlyNewer"/>; a hard bounce ends mailing whenever it happened).
    /// </summary>
    private static bool TargetOptOutStandsAgainst(ShopConsent shop, ContactEntry entry, TimeSpan window) =>
        entry.Shop is null
        && shop.State != ConsentState.Unsubscribed
        && entry.Target is { State: ConsentState.Unsubscribed } optOut
        && (entry.HardBouncedAt is not null || !ConsentPolicy.OptInIsClearlyNewer(shop.At, optOut.At, window));

    /// <summary>
    /// Target → shop: the one write the relay makes into a shop. Marked for <see cref="EchoSuppression"/>
    /// before the write (the shop may send its webhook before the call returns). Returns how many
    /// subscriptions changed. Shared with pull-back.
    /// </summary>
    public async Task<int> OptOutInShopAsync(SyncContext ctx, string email, string why, string? eventId, CancellationToken ct)
    {
        await echoes.MarkAsync(ctx.ShopKey, email, ConsentState.Unsubscribed);
        var changed = await ctx.Shop.OptOutAsync(ctx.ShopKey, email, ct);
        await LogAsync(ctx, "pullback", changed > 0 ? ActivityOutcome.Ok : ActivityOutcome.Skipped,
            changed > 0 ? $"{why}; opted out in the shop." : $"{why}; the shop had no active subscription.", email, eventId);
        return changed;
    }

    /// <summary>GDPR erase of a contact deleted in the shop, when the merchant switched it on.</summary>
    public async Task EraseAsync(SyncContext ctx, ShopRecordKind kind, string recordId, string? email, string? eventId, CancellationToken ct)
    {
        var entry = await ledger.FindByRecordAsync(ctx.Ledger, kind, recordId)
            ?? (email is not null ? await ledger.FindByEmailAsync(ctx.Ledger, email) : null);
        email ??= entry?.Email;
        if (!ctx.Settings.EraseInTargetOnDelete)
        {
            await LogAsync(ctx, "erase", ActivityOutcome.Skipped, "Deleted in the shop; erasing in the marketing system is switched off.", email, eventId);
            return;
        }
        var key = entry?.Key ?? ctx.Settings.UniqueKey switch
        {
            UniqueKeyKind.Email => ContactMapper.NormalizeEmail(email),
            UniqueKeyKind.ShopId => recordId,
            _ => null,
        };
        if (key is null)
        {
            await LogAsync(ctx, "erase", ActivityOutcome.Skipped, "Deleted in the shop, but the relay never sent this contact; nothing to erase.", email, eventId);
            return;
        }
        await ctx.Target.EraseContactAsync(key, email, ct);
        if (entry is not null) await ledger.DeleteAsync(ctx.Ledger, entry, kind, recordId);
        await LogAsync(ctx, "erase", ActivityOutcome.Ok, $"Deleted in the shop; erased in {ctx.TargetKind}.", email, eventId);
    }

    public Task LogAsync(SyncContext ctx, string kind, ActivityOutcome outcome, string message, string? email, string? eventId) =>
        LogAsync(ctx.ShopKey, kind, outcome, message, email, eventId);

    public async Task LogAsync(string shopKey, string kind, ActivityOutcome outcome, string message, string? email, string? eventId)
    {
        var masked = ContactMapper.NormalizeEmail(email) is { } normalized ? ActivityLog.MaskEmail(normalized) : null;
        await activity.AppendAsync(shopKey, new ActivityEntry(time.GetUtcNow(), kind, outcome, message, masked, eventId));
        logger.LogInformation("{ShopKey} {Kind} {Outcome} {Email}: {Message}", shopKey, kind, outcome, masked, message);
    }

    /// <param name="FirstContact">The ledger had no entry: the relay never wrote to, nor heard of, this contact in this target.</param>
    private sealed record Work(ShopRecord Record, ContactEntry Entry, Contact Contact, bool KnownBefore, bool FirstContact);
}
