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
/// sync (resync, a page at a time, failures counted and the page carries on).
/// </summary>
public sealed class ContactSync(ContactLedger ledger, EchoSuppression echoes, ActivityLog activity, TimeProvider time, ILogger<ContactSync> logger)
{
    /// <summary>Targets without a change feed: the relay has to ask them about addresses it is about to write.</summary>
    public static bool AsksByAddress(string targetKind) => targetKind == "sare";

    public async Task<PushResult> PushAsync(SyncContext ctx, IReadOnlyList<ShopRecord> records, SyncMode mode, string? eventId, CancellationToken ct)
    {
        var live = mode == SyncMode.Live;
        var settings = ctx.Settings;
        int skipped = 0, failed = 0;
        var errors = new List<string>();
        var work = new List<Work>();
        records = await LinkSubscribersToCustomersAsync(ctx, records, ct);
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
            work.Add(new Work(record, entry, contact, entry.KnownInTarget));
        }
        if (work.Count == 0) return new PushResult(0, skipped, failed, errors);

        if (!live && AsksByAddress(ctx.TargetKind)) await LearnTargetConsentAsync(ctx, work, ct);

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
                var (record, entry, contact, knownBefore) = work[i];
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
                if (record.Consent is { } consent)
                {
                    var decision = ConsentPolicy.Decide(new ConsentFacts(consent, knownBefore && !entry.CreatedByRelay, entry.Target, mode));
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
                    entry = entry with { Shop = new ConsentSide(consent.State, consent.At) };
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
        if (ctx.Settings.UniqueKey == Settings.UniqueKeyKind.Email) return records;
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

    /// <summary>
    /// A resync's first meeting with a feedless target (SARE): ask for the status of the addresses the
    /// relay has no record of, so that an address already opted out there counts as opted out and an
    /// existing one keeps its status.
    /// </summary>
    private async Task LearnTargetConsentAsync(SyncContext ctx, List<Work> work, CancellationToken ct)
    {
        var unknown = work.Where(w => !w.KnownBefore && w.Record.Consent is not null && w.Contact.Email is not null).ToList();
        if (unknown.Count == 0) return;
        var result = await ctx.Target.PullChangesAsync(new PullRequest(null, unknown.Select(w => w.Contact.Email!).ToList()), ct);
        var byEmail = result.Consent.Where(c => c.Email is not null).ToDictionary(c => c.Email!.ToLowerInvariant(), c => c);
        for (var i = 0; i < work.Count; i++)
            if (work[i].Contact.Email is { } email && byEmail.TryGetValue(email.ToLowerInvariant(), out var known))
                work[i] = work[i] with
                {
                    KnownBefore = true,
                    Entry = work[i].Entry with { KnownInTarget = true, CreatedByRelay = false, Target = new ConsentSide(known.State, known.At) },
                };
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
            Settings.UniqueKeyKind.Email => ContactMapper.NormalizeEmail(email),
            Settings.UniqueKeyKind.ShopId => recordId,
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

    private sealed record Work(ShopRecord Record, ContactEntry Entry, Contact Contact, bool KnownBefore);
}
