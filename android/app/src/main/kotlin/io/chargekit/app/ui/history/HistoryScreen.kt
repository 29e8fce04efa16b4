package io.chargekit.app.ui.history

import androidx.compose.foundation.ExperimentalFoundationApi
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.pulltorefresh.PullToRefreshBox
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewmodel.compose.viewModel
import io.chargekit.app.R
import io.chargekit.app.ui.BackButton
import io.chargekit.app.ui.label
import io.chargekit.client.ChargeKitClient
import io.chargekit.HistoryRowScreen
import io.chargekit.presenter.HistoryState
import io.chargekit.HistoryMonthScreen
import io.chargekit.app.ui.rememberFormats
import io.chargekit.presenter.Formats

/** The history destination. */
@Composable
fun HistoryRoute(client: ChargeKitClient, onOpenReceipt: (sessionId: String) -> Unit, onBack: () -> Unit) {
    val viewModel = viewModel { HistoryViewModel(client) }
    val presenter = viewModel.presenter
    val state by presenter.state.collectAsStateWithLifecycle()
    HistoryContent(state = state, onRefresh = presenter::refresh, onOpenReceipt = onOpenReceipt, onBack = onBack)
}

/**
 * Sessions by month, newest first, each month under a header that stays at the top while its
 * sessions scroll by, with the month's energy and spending. Pull (or tap Refresh) to sync with the
 * backend; with no network the phone's cache still shows, under a banner saying why it may be stale.
 */
@OptIn(ExperimentalMaterial3Api::class, ExperimentalFoundationApi::class)
@Composable
fun HistoryContent(
    state: HistoryState,
    onRefresh: () -> Unit,
    onOpenReceipt: (sessionId: String) -> Unit,
    onBack: () -> Unit,
) {
    val formats = rememberFormats()
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.history_title)) },
                navigationIcon = { BackButton(onBack) },
                actions = {
                    TextButton(onClick = onRefresh, enabled = !state.refreshing) {
                        Text(stringResource(R.string.history_refresh))
                    }
                },
            )
        },
    ) { padding ->
        PullToRefreshBox(
            isRefreshing = state.refreshing,
            onRefresh = onRefresh,
            modifier = Modifier
                .fillMaxSize()
                .padding(padding),
        ) {
            LazyColumn(Modifier.fillMaxSize()) {
                state.screen.message?.let { message ->
                    item(key = "message") { Banner(message) }
                }
                if (state.screen.months.isEmpty() && !state.refreshing) {
                    item(key = "empty") {
                        Text(
                            stringResource(R.string.history_empty),
                            modifier = Modifier.padding(24.dp),
                            style = MaterialTheme.typography.bodyLarge,
                        )
                    }
                }
                state.screen.months.forEach { month ->
                    stickyHeader(key = "month ${month.year}-${month.month}") { MonthHeader(month, formats) }
                    items(month.sessions, key = { it.sessionId }) { row ->
                        SessionRow(row, formats, onClick = { onOpenReceipt(row.sessionId) })
                    }
                }
            }
        }
    }
}

@Composable
private fun Banner(message: String) {
    Surface(
        color = MaterialTheme.colorScheme.errorContainer,
        contentColor = MaterialTheme.colorScheme.onErrorContainer,
        modifier = Modifier.fillMaxWidth(),
    ) {
        Text(message, modifier = Modifier.padding(16.dp), style = MaterialTheme.typography.bodyMedium)
    }
}

@Composable
private fun MonthHeader(month: HistoryMonthScreen, formats: Formats) {
    Surface(color = MaterialTheme.colorScheme.surfaceVariant, modifier = Modifier.fillMaxWidth()) {
        Column(Modifier.padding(horizontal = 16.dp, vertical = 8.dp)) {
            Text(formats.month(month.year, month.month.toInt()), style = MaterialTheme.typography.titleMedium)
            val energy = formats.quantity(month.energy)
            // One amount per currency: sessions in different currencies are never added up.
            val totals = if (month.spent.isEmpty()) {
                energy
            } else {
                val spent = month.spent.joinToString(stringResource(R.string.list_separator)) { formats.money(it) }
                stringResource(R.string.history_month_totals, energy, spent)
            }
            Text(totals, style = MaterialTheme.typography.bodyMedium)
        }
    }
}

@Composable
private fun SessionRow(row: HistoryRowScreen, formats: Formats, onClick: () -> Unit) {
    ListItem(
        headlineContent = { Text(row.evseId) },
        supportingContent = { Text(stringResource(R.string.history_row_detail, formats.dateTime(row.at), stringResource(row.phase.label()))) },
        trailingContent = {
            Column(horizontalAlignment = Alignment.End) {
                Text(formats.money(row.cost), style = MaterialTheme.typography.bodyLarge)
                Text(formats.quantity(row.energy), style = MaterialTheme.typography.bodySmall)
            }
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}
